"""Where PostgreSQL's CPU goes under the prompt load: reads `perf script` output of the cluster's processes (stacks,
leaf first) on standard input and puts each sample in the category of its innermost frame that matches a rule below
(so a WAL record written for a B-tree insert counts as WAL, a socket write under the protocol code as the protocol).
Used by bench/load/profile.sh."""
import sys, re, collections
rules = [
    ('background processes (WAL writer, checkpointer, bgwriter, autovacuum, stats)', r'WalWriterMain|CheckpointerMain|BackgroundWriterMain|AutoVac|pgstat_report_stat|StartAutoVacWorker|SysLoggerMain|ServerLoop'),
    ('commit: WAL flush and fsync', r'XLogFlush|issue_xlog_fsync|pg_fsync|fdatasync|XLogWrite'),
    ('WAL records (insert)', r'XLogInsert|CopyXLogRecordToWAL|XLogRegister|XLogRecordAssemble'),
    ('GIN index inserts (rules, entities, classifiers)', r'gininsert|ginHeapTupleFastInsert|ginInsert|ginExtract|ginEntryInsert'),
    ('B-tree index inserts', r'btinsert|_bt_doinsert|_bt_'),
    ('check constraints and triggers', r'ExecConstraints|ExecCheck|ExecAR|AfterTrigger|ExecBR|ExecIRInsertTriggers'),
    ('heap insert (COPY rows)', r'heap_multi_insert|heap_insert|CopyMultiInsert|RelationGetBufferForTuple'),
    ('COPY input (parsing rows)', r'NextCopyFrom|CopyFrom|CopyReadBinary|array_recv|ReceiveFunctionCall|uuid_recv|textrecv'),
    ('session reset (DISCARD ALL and friends)', r'DiscardAll|DiscardCommand|ResetAllOptions|PortalHashTableDeleteAll|DropAllPreparedStatements|LockReleaseAll'),
    ('parse and analyse', r'raw_parser|base_yyparse|parse_analyze|pg_analyze_and_rewrite|pg_parse_query|core_yylex'),
    ('plan', r'pg_plan_queries|pg_plan_query|planner|standard_planner|GetCachedPlan|BuildCachedPlan'),
    ('execute (index scans, locks, results)', r'ExecutorRun|standard_ExecutorRun|ExecutorStart|ExecutorEnd|PortalRun|ExecInitNode|pg_advisory'),
    ('transaction start and end', r'StartTransaction|CommitTransaction|AbortTransaction|StartTransactionCommand|CommitTransactionCommand'),
    ('protocol and sockets', r'pq_getbyte|pq_flush|secure_read|secure_write|pq_recvbuf|socket_flush|pq_getmessage|internal_flush|ReadCommand|SocketBackend|WaitEventSetWait|WaitLatch'),
]
cat = collections.Counter(); total = 0; stack = []
def flush():
    global total
    if not stack:
        return
    total += 1
    c = None
    for fr in stack:  # leaf first
        for k, r in rules:
            if re.search(r, fr):
                c = k
                break
        if c:
            break
    if c is None:
        c = 'kernel (other syscalls, scheduling)' if '[kernel' in stack[0] else 'other'
    cat[c] += 1
for line in sys.stdin:
    line = line.rstrip('\n')
    if not line.strip():
        flush(); stack = []; continue
    if line.startswith('\t') or line.startswith(' '):
        stack.append(line.strip())
flush()
print('samples', total)
for k, v in cat.most_common():
    print(f'{100 * v / max(total, 1):5.1f}%  {k}')
