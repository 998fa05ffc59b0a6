"""Reference servers the server benchmark measures evfault against."""
