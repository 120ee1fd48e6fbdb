"""The program's awards, as the Terms of Use v.2007.507 describe it, for ``symprogram.awards``.

``program.toml`` holds the exams and the accreditations and certifications of a
security-software vendor's partner program; read it with
:meth:`symprogram.awards.AwardCatalogue.default`.
"""
