"""The example Django project: settings and URLs."""
