"""Default Terms of Use of the program (v.2007.507), loaded by ``symprogram.accounts``.

``terms.toml`` lists each version, its effective instant, the text file with its
exact wording and that text's SHA-256 digest. Read them with
:meth:`symprogram.accounts.TermsCatalogue.default`.
"""
