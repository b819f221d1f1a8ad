"""A ledger whose every value is distinct (issue 17, defect 1): user, feature, team, project, task type, tool,
prompt version, agent, model, key, tier and tags differ on every record. Usage: generate_distinct_ledger.py N OUT.jsonl"""
import sys, random
n = int(sys.argv[1]); out = open(sys.argv[2], 'w')
r = random.Random(7)
for i in range(n):
    s = r.getrandbits(64) | 1
    leaf = '%016x' % s
    sec = i % 86400
    ts = '2026-10-%02dT%02d:%02d:%02d.000Z' % (1 + (i // 86400) % 28, sec // 3600, sec // 60 % 60, sec % 60)
    v = '%07d' % i
    out.write('{"v":1,"record_id":"rec-%s-%s","ts":"%s","provider":"openai","model":"model-%s","api_key_id":"key-%s",'
              '"input_tokens":%d,"output_tokens":%d,"cost_usd":0.0012,"leaf_id":"%s","root_id":"%s","attempt":1,'
              '"user_id":"user-%s","feature":"feature-%s","team":"team-%s","project":"project-%s","task_type":"type-%s",'
              '"tool":"tool-%s","prompt_version":"pv-%s","agent":"agent-%s","service_tier":"tier-%s","tags":{"k-%s":"val-%s"}}\n'
              % (v, leaf, ts, v, v, 100 + i % 900, 50 + i % 500, leaf, leaf, v, v, v, v, v, v, v, v, v, v, v))
