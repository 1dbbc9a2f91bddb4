"""Where this process looks and how it touches files: the environment, pixi's config, bounded reads, crash reports."""
