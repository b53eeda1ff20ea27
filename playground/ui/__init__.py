"""The Gradio playground UI (the only package that imports Gradio)."""
