"""What every page shares: workers and the serial executor, the image view, thumbnails, palette,
formatting of the scale, desktop open/reveal, drops, icons and the empty/message states."""
