"""The chat page (Gradio): `podium ui`."""
