import json, re, sys
FILTER = re.compile(r"filter|low-?pass|high-?pass|band-?pass|butterworth|smooth|moving average|denois", re.I)
CLEAN = re.compile(r"\b(clean|nan|outlier|missing|interpolat|normali[sz])", re.I)
for path in sys.argv[1:]:
    rows = [json.loads(l) for l in open(path)]
    added_filter = added_clean = steps = 0
    for r in rows:
        req = r["requirement"]
        texts = [t["title"] + " " + t["description"] for t in r["tasks"]]
        f = sum(bool(FILTER.search(t)) for t in texts) if not FILTER.search(req) else 0
        c = sum(bool(CLEAN.search(t)) for t in texts) if not CLEAN.search(req) else 0
        added_filter += f; added_clean += c; steps += len(texts)
        print(f"  {r['id']:32s} steps={len(texts)} added_filter={f} added_clean={c} | " + " / ".join(t["title"] for t in r["tasks"]))
    print(path, "plans", len(rows), "steps", steps, "added filter steps", added_filter, "added clean steps", added_clean)
GENERIC = re.compile(r"^(validate and clean the raw data|filter the data|segment the data|extract features|estimate the model|classify|detect events)$", re.I)
ERRORS = re.compile(r"^(check|validate|verify|handle|return valueerror|raise)\b.*(input|parameter|error|valueerror|condition)", re.I)
for path in sys.argv[1:]:
    rows = [json.loads(l) for l in open(path)]
    template = sum(sum(bool(GENERIC.match(t["title"].strip())) for t in r["tasks"]) >= 3 for r in rows)
    errors = sum(bool(ERRORS.match(t["title"].strip())) for r in rows for t in r["tasks"])
    last_errors = sum(bool(ERRORS.match(r["tasks"][-1]["title"].strip())) for r in rows)
    print(path, "template plans", template, "error-only steps", errors, "of which last", last_errors)
