"""The INDIGO data standard (GO Lab, University of Oxford): project records in and out.

- `mapping`: the field-by-field mapping and its converters, both ways;
- `importer`: an INDIGO record -> a programme definition, loaded as a draft through the
  programme format's loader (`indigo_import`), with what did not map;
- `exporter`: a programme -> an INDIGO record (`programme_indigo_export`).

The schema is `schema/project.json` of the INDIGO-Initiative/indigo-data-standard
repository; docs/indigo.md has the mapping table and the rules (no value is invented).
"""
