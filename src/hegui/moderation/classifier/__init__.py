"""Trained moderation classifier (numpy inference; training script in :mod:`.train`).

Heads and their GB/T 45654 risk ids: ``data/heads.yaml``; the shipped weights: ``model/default.npz``.
"""

from hegui.moderation.classifier.errors import ModelFileInvalid, TrainingDataInvalid
from hegui.moderation.classifier.features import FeatureConfig
from hegui.moderation.classifier.model import Classifier

__all__ = ["Classifier", "FeatureConfig", "ModelFileInvalid", "TrainingDataInvalid"]
