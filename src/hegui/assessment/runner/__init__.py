"""The assessment runner: sample the banks, ask an OpenAI-compatible endpoint every sampled item,
resumably (GB/T 45654 B.2; TC260-003 §9). See ``docs/assessment-runner.md``."""

from hegui.assessment.runner.client import REFUSAL_CODES, EndpointClient, EndpointUnusable
from hegui.assessment.runner.config import RunConfig
from hegui.assessment.runner.progress import ProgressSink, RunProgress
from hegui.assessment.runner.run import RunStats, ask_all
from hegui.assessment.runner.sample import Sample, SampleInfo, allocate, sample_items, stratum
from hegui.assessment.runner.state import RunState

__all__ = ["REFUSAL_CODES", "EndpointClient", "EndpointUnusable", "ProgressSink", "RunConfig", "RunProgress",
           "RunState", "RunStats", "Sample", "SampleInfo", "allocate", "ask_all", "sample_items", "stratum"]
