"""The Textual user interface. It only calls the engine; it stores nothing itself."""
