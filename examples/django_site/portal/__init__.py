"""The example site's one app: registration and handbooks over symprogram."""
