"""Incident snapshots: one `.wfsnap` file to hand an incident over, opened offline.

`export.py` makes one from a topology and a recorded stream (or the console's
state), `archive.py` writes and reads the file, `redact.py` replaces
sensitive text by stable pseudonyms, `report.py` makes the HTML report and the
CSV, `content.py` selects and shapes what goes in. Images are drawn by the
console (Qt), which hands them to the writer as PNG bytes: core never imports Qt.
"""
