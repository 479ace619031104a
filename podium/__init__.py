"""Podium: question answering over press transcripts with exact citations."""

import os

# onnxruntime (MiniLM embeddings here, chromadb's default embedder elsewhere) sends telemetry
# from its official Linux builds since 1.29: DNS lookups of mobile.events.data.microsoft.com and
# a database under ~/.cache/Microsoft. ORT_DISABLE_TELEMETRY=1 is its only complete off switch
# (the disable_telemetry_events() API still sends the process event), and it is read once, when
# onnxruntime initialises: so it is set here, before any part of Podium can import onnxruntime.
# Podium promises no network traffic of its own; this is not a setting.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
