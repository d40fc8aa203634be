"""Where a service's CPU goes, by part of the request: reads `perf script` output (stacks, leaf first) on standard input
and puts each sample in the category of its innermost frame that matches a rule below (so a socket write under Npgsql
counts as Npgsql, one under Kestrel as HTTP). Samples with no matching frame are "kernel" when the leaf is in the
kernel, else "other". Used by bench/load/profile.sh."""
import sys, re, collections
rules=[
 ('json (System.Text.Json)', r'System\.Text\.Json|JsonSerializer'),
 ('hashing (SHA-256)', r'SHA256|libcrypto|EntryHash|CryptographicOperations'),
 ('policy evaluation', r'\[Compliance\.Policies\]'),
 ('name classifier', r'\[Compliance\.Classifiers\]'),
 ('decision-log write (Npgsql COPY, batch)', r'DecisionLog\+<WriteBatchAsync>|NpgsqlBinaryImporter|DecisionLog::EntryHash'),
 ('auth (key-change read, cache)', r'ApiKeyAuthenticationHandler|ApiKeyStore|FreshRead|MemoryCache'),
 ('grant/consent lookup', r'GrantLedger|LikenessLedger|DecisionFacts'),
 ('validation', r'FluentValidation|ValidationFilter|StorableText'),
 ('Npgsql (other)', r'\[Npgsql\]'),
 ('metrics/tracing', r'OpenTelemetry|System\.Diagnostics\.Metrics|DiagnosticSource|Activity'),
 ('Kestrel/HTTP', r'Kestrel|Microsoft\.AspNetCore|System\.IO\.Pipelines'),
 ('sockets (managed)', r'System\.Net\.Sockets|libSystem\.Native'),
 ('GC', r'WKS::|SVR::|gc_heap|GCHeap|GarbageCollect'),
 ('thread pool / scheduling', r'ThreadPool|LowLevelLifoSemaphore|LowLevelSpinWaiter|sched_yield|WorkerThread'),
]
cat=collections.Counter(); total=0; kern=collections.Counter()
stack=[]
def flush():
    global total
    if not stack: return
    total+=1
    c=None
    for fr in stack:  # leaf first
        for k,r in rules:
            if re.search(r,fr): c=k; break
        if c: break
    if c is None:
        c='kernel (syscalls, switches)' if stack[0].endswith('[kernel.kallsyms])') or '([kernel' in stack[0] else 'other'
    cat[c]+=1
for line in sys.stdin:
    line=line.rstrip('\n')
    if not line.strip():
        flush(); stack=[]; continue
    if line.startswith('\t') or line.startswith(' '):
        stack.append(line.strip())
flush()
print('samples',total)
for k,v in cat.most_common(): print(f'{100*v/total:5.1f}%  {k}')
