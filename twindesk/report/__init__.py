"""The planning report (``twindesk report CASE --out plan.pdf``), Qt-free.

* :mod:`.content`: blocks (paragraph, table, figure, "not computed" statement) and the one
  number formatter (units always, never NaN);
* :mod:`.sections`: one small function per section over the case (``SECTIONS``);
* :mod:`.measurements`: the measurement table (also ``--what measurements`` CSV);
* :mod:`.figures`: MPR, 3D and waveform figures rendered without a display;
* :mod:`.pdf`: the reportlab layout; :mod:`.build`: the job that ties them together.
"""
