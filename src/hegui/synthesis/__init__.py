"""Demo media models below the gateway (Deep Synthesis Provisions Art 17: what they make is labelled
by the caller). ``tts``: the built-in demo voice ``hegui-demo-tts`` (espeak-ng, clearly a demo)."""
