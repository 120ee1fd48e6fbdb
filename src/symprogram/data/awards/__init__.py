"""Default awards catalogue of the program (seed 000), loaded by ``symprogram.awards``.

``program.toml`` holds the exams and the accreditations and certifications of a
security-software vendor's partner program; read it with
:meth:`symprogram.awards.AwardCatalogue.default`.
"""
