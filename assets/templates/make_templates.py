#!/usr/bin/env python3
"""Extracts cross-correlation templates from MARZ (Hinton et al. 2016) into CSV files here.

    git clone https://github.com/Samreay/Marz /tmp/Marz    # commit 9b4b964bb1b9a7c169bfdc0e998be894eb953732
    python3 assets/templates/make_templates.py /tmp/Marz/js/templates.js

MARZ is MIT-licensed ("Modified MIT", Copyright (c) 2015 Samuel Hinton); its templates come
from SDSS (spEigenGal eigen-spectra, stellar templates) and other surveys as its source
comments say. MARZ lays a template's samples out linearly in λ (or in log10 λ when
`log_linear`) from `start_lambda` to `end_lambda`; `shift: true` marks air wavelengths
and `redshift` the template's own redshift, which is removed here (λ_rest = λ/(1+z)).
No pip package is needed: plain Python 3.
"""
import re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEEP = {  # MARZ id -> (file stem, description of the source MARZ gives)
    "1": ("marz_a_star", "A1 star (MARZ 'A Star', a1star_b)"),
    "2": ("marz_k_star", "K0 star (MARZ 'K Star', k0star_b)"),
    "5": ("marz_g_star", "G star (MARZ 'G Star')"),
    "6": ("marz_early_type_galaxy", "early-type absorption galaxy (MARZ; SDSS spEigenGal-55740 id 41)"),
    "7": ("marz_intermediate_galaxy", "intermediate-type galaxy (MARZ; SDSS spEigenGal-55740 id 43)"),
    "8": ("marz_late_type_galaxy", "late-type emission galaxy (MARZ; SDSS spEigenGal-55740 id 47)"),
    "12": ("marz_quasar", "quasar (MARZ 'Quasar')"),
}


def field(block, name):
    m = re.search(r"\b" + name + r"\s*:\s*([^,\n]+)", block)
    return m.group(1).strip() if m else None


def main(path):
    text = Path(path).read_text(encoding="utf-8")
    body = text[text.index("var originalTemplates = ["):]
    for block in re.split(r"\n\s*\}, \{", body):
        tid = field(block, "id").strip("'\"")
        if tid not in KEEP:
            continue
        stem, what = KEEP[tid]
        spec = [float(v) for v in re.search(r"spec:\s*\[([^\]]*)\]", block).group(1).split(",") if v.strip()]
        start, end = float(field(block, "start_lambda")), float(field(block, "end_lambda"))
        log_linear = field(block, "log_linear") == "true"
        air = field(block, "shift") == "true"
        z = float(field(block, "redshift") or 0)
        n = len(spec)
        out = [f"# name: {what}", f"# medium: {'air' if air else 'vacuum'}",
               "# citation: Hinton S. R. et al. 2016, Astronomy and Computing 15, 61 (MARZ); templates from js/templates.js of https://github.com/Samreay/Marz at 9b4b964",
               "# licence: MIT (MARZ, Copyright (c) 2015 Samuel Hinton)",
               f"# rest_frame: template redshift {z} removed", "wavelength_nm,flux"]
        for i, y in enumerate(spec):
            t = start + (end - start) * i / (n - 1)
            lam_A = 10 ** t if log_linear else t
            out.append(f"{lam_A / (1 + z) / 10:.6f},{y!r}")
        (HERE / f"{stem}.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"wrote {stem}.csv: {n} samples, {'air' if air else 'vacuum'}")


if __name__ == "__main__":
    main(sys.argv[1])
