"""Seed data: the standard indicators and starter intervention catalogue
(``catalogue``) and the synthetic demo dataset shaped like Peru (``demo``).

Import the module you need; this package imports neither, so loading the catalogue does
not load the demo's generator.
"""
