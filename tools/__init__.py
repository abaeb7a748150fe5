"""Tools that act on the matrix: they run probes, read the package index and rewrite committed files.

bisect.py (`tox -e bisect`) finds the patch or package release that changed a cell; upstream.py
(`tox -e upstream`) follows new releases; scratch.py and pypi.py are what both share. They stand on contract/ and
read results through report/; the report never imports them.
"""
