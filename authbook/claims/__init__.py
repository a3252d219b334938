"""The claim loop's X12 side (issue 26): ``x12`` reads and validates 837P and 835 files
(the only module importing pyx12), ``build`` writes small ones, ``examples`` the demo's."""
