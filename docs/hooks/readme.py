"""MkDocs hook: the site's front page is the README, its links made relative to docs/."""
import os


def on_page_read_source(page, config):
    if page.file.src_uri != "index.md":
        return None
    with open(os.path.join(os.path.dirname(config["config_file_path"]), "README.md")) as f:
        return f.read().replace("](docs/", "](")
