"""Legal discovery: holds that preserve what a matter needs, and Bates-numbered productions.

``holds``       legal holds per matter (clerk work under ``<archive>/holds/``), evaluated by
                their criteria whenever asked, so later captures are held too
``bates``       Bates numbers and the per-matter counter (``<archive>/matters/``)
``production``  ``export_volume``: one production volume (a signed BagIt bag)
``loadfiles``   Concordance DAT, Opticon OPT and EDRM XML load files
``pdfimages``   the PDF images of items, Bates-stamped, redactions burned in
``natives``     per-item JSON natives, the volume WARC (records copied byte for byte), WACZ
``privilege``   privilege and redaction log (CSV and PDF)
``custody``     chain-of-custody report and the hash certification
"""
