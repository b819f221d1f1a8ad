#!/usr/bin/env python3
"""A random lineage graph as a ledger (.ci/sql-lineage-fuzz.sh): units whose parents are earlier units, any unit
(cycles), units not in the ledger, or the next unit (long chains); roots in and outside the ledger; partial
attribution fields; sometimes a 60-70-unit chain past the 64-hop cap. Deterministic for a seed.

    python3 .ci/sql-lineage-graphs.py SEED OUT   # writes OUT/ledger/a.jsonl
"""
import json, os, random, sys
seed=int(sys.argv[1]); out=sys.argv[2]
r=random.Random(seed)
os.makedirs(out+"/ledger", exist_ok=True)
F=["user_id","feature","team","project","task_type"]
n=r.randint(5,120)
def leaf(i): return "%016x"%(0xAB0000+i)
recs=[]; c=[0]
def rid():
    c[0]+=1; return "r%031x"%c[0]
for i in range(n):
    rec={"v":1,"record_id":rid(),"ts":"2026-10-03T01:%02d:%02d.000Z"%(i//60%60,i%60),"provider":"openai","model":"gpt-4.1",
         "api_key_id":"k","input_tokens":1000+i*7+r.randint(0,5),"output_tokens":10,"leaf_id":leaf(i)}
    mode=r.random()
    if mode<0.5 and i>0: rec["parent_id"]=leaf(r.randrange(0,i))   # chain-ish
    elif mode<0.6: rec["parent_id"]=leaf(r.randrange(0,n))          # may cycle
    elif mode<0.75: rec["parent_id"]=leaf(n+r.randrange(0,5))       # missing parent
    elif mode<0.8: rec["parent_id"]=leaf(i+1) if i+1<n else leaf(0) # long chain forward
    if r.random()<0.5: rec["root_id"]=leaf(r.choice([r.randrange(0,n), n+1, 0]))
    pf=r.random()
    for f in F:
        if r.random()<pf*0.5: rec[f]=f[0]+str(r.randrange(3))
    if r.random()<0.1:
        for f in F: rec[f]=f[0]+"x"
    recs.append(rec)
# long chains
if r.random()<0.5:
    base=n; L=r.randint(60,70)
    for k in range(L):
        rec={"v":1,"record_id":rid(),"ts":"2026-10-03T03:00:%02d.%03dZ"%(k//10,k),"provider":"openai","model":"gpt-4.1","api_key_id":"k",
             "input_tokens":5000+k,"output_tokens":1,"leaf_id":leaf(base+10+k)}
        if k>0: rec["parent_id"]=leaf(base+10+k-1)
        else: rec["parent_id"]=leaf(base+200)
        rec["root_id"]=leaf(r.randrange(0,n)) if k==L-1 or r.random()<0.1 else leaf(base+10)
        if k==0: 
            for f in F: rec[f]="z"
        elif r.random()<0.05: rec["team"]="tt"
        recs.append(rec)
r.shuffle(recs)
with open(out+"/ledger/a.jsonl","w") as f:
    for rec in recs: f.write(json.dumps(rec)+"\n")
