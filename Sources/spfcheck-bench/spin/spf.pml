/*
 * spf.pml: the Promela twin of the spfcheck benchmark cases spf-N
 * (Sources/spfcheck-bench/Cases/spf-N.json), for the SPIN comparison of issue 4.
 *
 *   NFAULT speculative-fault threads (models/protocols/fault-spf.json, addr 1, falling back
 *   to fault-mmap-lock / map-pte of models/protocols/fault-mmap-lock.json), one munmap
 *   thread (models/protocols/munmap.json, [0,4)) and one mprotect thread
 *   (models/protocols/mprotect.json "mprotect", [0,4) to read-only), on one VMA A = [0,4) rw,
 *   layout fanout [2,2,2] with the page tables populated, tables freed through RCU.
 *
 * Build and run (N = 2, 3, 4):
 *   spin -DNFAULT=N -a spf.pml && gcc -O2 -DSAFETY -DNOFAIR -DMEMLIM=8192 -o pan pan.c && ./pan -m100000
 *
 * How it maps onto spfcheck (Sources/SPFCheck/Kernel):
 * - Every model op is one atomic step: one d_step (or, when it jumps or blocks, one atomic)
 *   block per op, in the same order as the JSON programs; the op index is in the comment.
 *   Branch ops (if_none, if_not, if_odd, goto) are local steps, as in spfcheck.
 * - Two-phase ops (mmap_write_lock, vma_start_write) are an atomic block whose guard in the
 *   middle blocks: SPIN then ends the first step (the wait is registered) and the rest runs
 *   as a second step when the guard holds, exactly spfcheck's "op (resumed)".
 * - The grace-period step is the rcu process: it frees, in one step, every object queued
 *   for RCU freeing whose recorded readers have all left their read-side sections.
 * - State: mm (mmap_lock readers/writer/waiting writers, mm_lock_seq, free pages), VMA A
 *   (prot, anon, life, attached, in tree, vm_lock_seq, readers, exclude flag, vm_sequence,
 *   bracket owner, RCU readers), up to MAXT page tables (level, parent, slot, 2 entries,
 *   2 PTEs with present/prot/lineage/committer/commit site, life, ptl owner, RCU readers),
 *   page_table_lock, and per thread its registers (none = NONE, as spfcheck starts every
 *   register at none), RCU depth and section id, RCU tags of pointer registers, mmap_lock
 *   hold and ptl hold.
 * - Invariants checked with assert: use-after-free (freed, or queued for RCU and the thread
 *   was not a reader), rcu-escape, double-free, lost-mapping, page-table-leak at install,
 *   torn-read, sleep-in-atomic, lock-misuse; at quiescence (the last thread's end, with
 *   pending callbacks treated as drained): page-table-leak, pte-outside-vma, stale-commit.
 *   deadlock is SPIN's invalid end state.
 * Differences: no data pages (no op of the scenario allocates one), no allocation-failure
 * branches (none are injected), the leak check (no run-time VMA or object exists) and
 * narration/committer messages are left out; the layout is hard-wired to [2,2,2] and the
 * thread arguments to the spf-N cases. SPIN adds its own partial-order reduction and
 * statement merging, and has no symmetry reduction over the NFAULT identical threads.
 */

#ifndef NFAULT
#define NFAULT 2
#endif
#define NTHR   (NFAULT + 2)
#define TU     NFAULT          /* the munmap thread */
#define TP     (NFAULT + 1)    /* the mprotect thread */
#define NONE   255
#define MAXT   6               /* root, PMD, two PTE tables, two spare for map-pte */
#define LIVE   0
#define PEND   1               /* queued for freeing after a grace period */
#define FREED  2
#define PR     1               /* prot bits: r = 1, w = 2 */
#define PRW    3
#define ADDR   1               /* the faulting address */

typedef Table {
  byte level;                  /* 0 root, 1 PMD, 2 PTE table, NONE never installed */
  byte parent;
  byte pslot;
  byte e[2];                   /* child tables (levels 0, 1) */
  bit  pres[2];                /* PTEs (level 2) */
  byte pprot[2];
  byte plin[2];                /* lineage of the committing VMA: 0 = A, NONE = none */
  byte pcom[2];                /* committing thread */
  byte psite[2];               /* committing op: 1 = fault-spf pte_set, 2 = map-pte pte_set */
  byte life;
  byte ptl;                    /* ptl owner */
  byte rcur;                   /* RCU readers recorded when queued */
};

Table tb[MAXT];
byte ntables = 4;

byte mm_readers;               /* bit per thread holding mmap_lock for read */
byte mm_writer = NONE;
byte mm_waiting;               /* bit per writer registered in mmap_write_lock */
byte mm_seq;                   /* mm_lock_seq: odd while write-locked */
byte freepages = 64;
byte ptlock = NONE;            /* page_table_lock owner */
byte rcud[NTHR];               /* RCU read-side nesting per thread */
byte ndone;                    /* threads that ended */

/* VMA A (vma#0, lineage 0, [0,4)) */
byte v_prot = PRW;
bit  v_anon = 1;
byte v_life = LIVE;
bit  v_attached = 1;
bit  v_intree = 1;
byte v_lockseq = NONE;         /* vm_lock_seq, -1 */
byte v_readers;
bit  v_excl;
byte v_seq;                    /* vm_sequence */
byte v_bracket = NONE;
byte v_rcur;

#define PMD0         tb[0].e[0]
#define NOLEAF(k)    (PMD0 == NONE || tb[PMD0].life == FREED || tb[PMD0].e[k] == NONE || tb[tb[PMD0].e[k]].life == FREED)
#define PTLFREE(k,t) (NOLEAF(k) || tb[tb[PMD0].e[k]].ptl == NONE || tb[tb[PMD0].e[k]].ptl == t)
#define RANGEFREE(t) (PTLFREE(0,t) && PTLFREE(1,t))
#define READERS      (((rcud[0] > 0) << 0) | ((rcud[1] > 0) << 1) | ((rcud[2] > 0) << 2) | RDR3 | RDR4 | RDR5)
#if NTHR > 3
#define RDR3 ((rcud[3] > 0) << 3)
#else
#define RDR3 0
#endif
#if NTHR > 4
#define RDR4 ((rcud[4] > 0) << 4)
#else
#define RDR4 0
#endif
#if NTHR > 5
#define RDR5 ((rcud[5] > 0) << 5)
#else
#define RDR5 0
#endif
#define ATOMIC       (rcud[t] > 0 || ptlock == t || ptlt != NONE)
#define MMAP_FREE    (mm_writer == NONE && mm_readers == 0)

#define LS           1         /* slot of ADDR in its PTE table */
#define MS           0         /* slot of ADDR in its PMD table (and of the PMD in the root) */
#define GP(i)        (tb[i].life == PEND && tb[i].rcur == 0)
#define DEAD(x, q)   (tb[x].life == FREED || ((q) && tb[x].life == PEND))

hidden byte k, c, g, cur, res, lo;   /* scratch, not part of the state */

/* StepContext.deref: use-after-free (freed, or RCU-queued and not a reader), then rcu-escape. */
inline deref_tab(i, tag) {
  assert(tb[i].life != FREED);
  assert(tb[i].life != PEND || (tb[i].rcur & (1 << t)));
  assert(tag == 0 || (rcud[t] > 0 && sect == tag) || mmh != 0 || ptlt == i)
}
inline deref_vma(tag) {
  assert(v_life != FREED);
  assert(v_life != PEND || (v_rcur & (1 << t)));
  assert(tag == 0 || (rcud[t] > 0 && sect == tag) || mmh != 0)
}

/* rcu_read_lock: a new outermost section gets the smallest id no register carries. */
inline rcu_enter() {
  if
  :: rcud[t] == 0 ->
     sect = 1;
     do
     :: sect == vtag || sect == pmdtag || sect == pttag -> sect++
     :: else -> break
     od
  :: else -> skip
  fi;
  rcud[t]++
}

/* rcu_read_unlock: at the outermost level, stop holding up the queued callbacks. */
inline rcu_exit() {
  assert(rcud[t] > 0);                                  /* lock-misuse */
  rcud[t]--;
  if
  :: rcud[t] == 0 ->
     sect = 0;
     v_rcur = v_rcur & ~(1 << t);
     for (k : 0 .. MAXT - 1) { tb[k].rcur = tb[k].rcur & ~(1 << t) }
     k = 0
  :: else -> skip
  fi
}

/* free_pgtables in rcu mode: queue table i, recording the current readers; double-free check. */
inline free_tab_rcu(i) {
  assert(tb[i].life == LIVE);
  tb[i].life = PEND;
  tb[i].rcur = READERS
}

/* State.isLinked; q = 1 at quiescence, where queued callbacks count as drained. */
inline linked(i, q) {
  cur = i; res = 1;
  do
  :: cur == 0 -> break
  :: cur != 0 && (tb[cur].parent == NONE || DEAD(cur, q) || DEAD(tb[cur].parent, q) ||
                  tb[tb[cur].parent].e[tb[cur].pslot] != cur) -> res = 0; break
  :: else -> cur = tb[cur].parent
  od;
  cur = 0
}

/* The walk of pte_lock / zap / pte_protect from the root to the PTE table of address a:
 * g = the table, or NONE. Every table reached is dereferenced. */
inline walk_leaf(a) {
  deref_tab(0, 0);
  g = NONE;
  c = tb[0].e[a / 4];
  if
  :: c != NONE ->
     deref_tab(c, 0);
     g = tb[c].e[(a / 2) % 2];
     if
     :: g != NONE -> deref_tab(g, 0)
     :: else -> skip
     fi
  :: else -> skip
  fi;
  c = 0
}

/* pte_lock / pte_trylock of ADDR: take the ptl and open the implicit RCU section. */
inline pte_lock(into) {
  assert(ptlt == NONE);                                 /* lock-misuse: already held */
  walk_leaf(ADDR);
  if
  :: g == NONE -> into = 0
  :: g != NONE && tb[g].ptl == t -> assert(false)       /* lock-misuse: recursive */
  :: g != NONE && tb[g].ptl != t && tb[g].ptl != NONE -> into = 0
  :: g != NONE && tb[g].ptl == NONE -> tb[g].ptl = t; ptlt = g; rcu_enter(); into = 1
  fi;
  g = 0
}

inline pte_unlock() {
  assert(ptlt != NONE);                                 /* lock-misuse */
  deref_tab(ptlt, 0);
  tb[ptlt].ptl = NONE;
  ptlt = NONE;
  rcu_exit()
}

/* pte_set of ADDR: the commit. */
inline pte_set(p, torn, lin, site, dv) {
  assert(ptlt != NONE);                                 /* lock-misuse */
  deref_tab(ptlt, 0);
  if :: dv -> deref_vma(0) :: else -> skip fi;          /* a VMA operand, not a snapshot */
  assert(!(torn));                                      /* torn-read */
  linked(ptlt, 0);
  assert(res);                                          /* lost-mapping */
  tb[ptlt].pres[LS] = 1; tb[ptlt].pprot[LS] = p; tb[ptlt].plin[LS] = lin;
  tb[ptlt].pcom[LS] = t; tb[ptlt].psite[LS] = site
}

/* Quiescence (Executor.quiescenceViolations), run by the thread that ends last. */
inline quiesce() {
  for (k : 1 .. MAXT - 1) {
    if
    :: k < ntables && tb[k].life == LIVE ->
       linked(k, 1);
       assert(res);                                     /* page-table-leak: unreachable */
       lo = (tb[k].level == 1 -> 4 * tb[k].pslot : 4 * tb[tb[k].parent].pslot + 2 * tb[k].pslot);
       assert(v_attached && v_life == LIVE && lo < 4);  /* page-table-leak: no VMA covers it */
       if
       :: tb[k].level == 2 ->
          for (c : 0 .. 1) {
            if
            :: tb[k].pres[c] ->
               assert(v_attached && v_life == LIVE && lo + c < 4);  /* pte-outside-vma */
               assert((tb[k].pprot[c] & ~v_prot) == 0);            /* stale-commit: prot */
               assert(tb[k].plin[c] == NONE || tb[k].plin[c] == 0) /* stale-commit: lineage */
            :: else -> skip
            fi
          }
       :: else -> skip
       fi
    :: else -> skip
    fi
  }
  k = 0; c = 0; lo = 0
}

/* end: the thread must hold nothing (lock-misuse); the last one checks quiescence. */
inline thread_end() {
  assert(mmh == 0 && rcud[t] == 0 && ptlt == NONE && ptlock != t && v_bracket != t);
  ndone++;
  if
  :: ndone == NTHR -> quiesce()
  :: else -> skip
  fi
}

/* mmap_write_lock: two-phase. The blocking guard splits the atomic block into the
 * registering step and the resumed step. */
inline mmap_write_lock() {
  atomic {
    assert(!ATOMIC);                                    /* sleep-in-atomic */
    assert(mmh == 0);                                   /* lock-misuse */
    if
    :: MMAP_FREE -> mm_writer = t; mm_seq++; mmh = 2
    :: else ->
       mm_waiting = mm_waiting | (1 << t);
       MMAP_FREE;
       mm_waiting = mm_waiting & ~(1 << t); mm_writer = t; mm_seq++; mmh = 2
    fi
  }
}

/* vma_start_write: two-phase when readers must drain. */
inline vma_start_write() {
  atomic {
    assert(!ATOMIC);
    deref_vma(0);
    assert(mmh == 2 && mm_writer == t);                 /* lock-misuse */
    if
    :: v_lockseq == mm_seq -> skip
    :: v_lockseq != mm_seq && (v_readers == 0 || !v_attached) -> v_lockseq = mm_seq
    :: v_lockseq != mm_seq && v_readers != 0 && v_attached ->
       v_excl = 1;
       v_readers == 0;
       v_excl = 0; v_lockseq = mm_seq
    fi
  }
}

inline vma_lookup(into) {
  assert(rcud[t] > 0 || mmh != 0);                      /* lock-misuse */
  into = (v_intree -> 0 : NONE)
}

inline mmap_write_unlock() {
  assert(mmh == 2 && mm_writer == t);
  mm_seq++; mm_writer = NONE; mmh = 0
}

inline mmap_read_unlock() {
  assert(mmh == 1);
  mm_readers = mm_readers & ~(1 << t); mmh = 0
}

/* A fault thread: fault-spf (ops S0-S26), falling back to fault-mmap-lock (F0-F10) and its
 * inlined map-pte (M0-M25). Each inlined program has its own registers, as in spfcheck. */
proctype fault(byte t) {
  byte sect, mmh, ptlt = NONE;
  byte seq = NONE, vma = NONE, vtag, pv = NONE, pv_prot, pv_lin; bit pv_torn;
  byte ok = NONE, pmd = NONE, pmdtag, pt = NONE, pttag, locked = NONE, prot = NONE; bit prot_torn;
  byte f_vma = NONE, f_prot = NONE, f_mapped = NONE; bit f_prot_torn;
  byte m_pmd = NONE, m_newpmd = NONE, m_inst = NONE, m_pt = NONE, m_newpt = NONE, m_locked = NONE;

  d_step { seq = mm_seq };                                               /* S0 mmap_seq_read */
  if :: seq % 2 == 1 -> goto fallback :: else -> skip fi;                /* S1 if_odd */
  d_step { rcu_enter() };                                                /* S2 rcu_read_lock */
  d_step { vma_lookup(vma); vtag = (vma != NONE && mmh == 0 -> sect : 0) }  /* S3 vma_lookup */
  if :: vma == NONE -> goto abort_rcu :: else -> skip fi;                /* S4 if_none */
  d_step {                                                               /* S5 vma_copy */
    deref_vma(vtag);
    pv = 0; pv_prot = v_prot; pv_lin = 0; pv_torn = (v_bracket != NONE && v_bracket != t)
  };
  d_step { rcu_exit() };                                                 /* S6 rcu_read_unlock */
  d_step { ok = (seq == mm_seq) };                                       /* S7 mmap_seq_check */
  if :: !ok -> goto fallback :: else -> skip fi;                         /* S8 if_not */
  d_step { rcu_enter() };                                                /* S9 rcu_read_lock */
  d_step {                                                               /* S10 pt_walk level 1 */
    deref_tab(0, 0);
    pmd = tb[0].e[MS];
    if
    :: pmd != NONE -> deref_tab(pmd, 0); pmdtag = (mmh != 0 -> 0 : sect)
    :: else -> pmdtag = 0
    fi
  };
  if :: pmd == NONE -> goto abort_rcu :: else -> skip fi;                /* S11 if_none */
  d_step {                                                               /* S12 pt_walk level 2 */
    deref_tab(pmd, pmdtag);
    pt = tb[pmd].e[MS];
    if
    :: pt != NONE -> deref_tab(pt, 0); pttag = (mmh != 0 -> 0 : sect)
    :: else -> pttag = 0
    fi
  };
  if :: pt == NONE -> goto abort_rcu :: else -> skip fi;                 /* S13 if_none */
  d_step { ok = (seq == mm_seq) };                                       /* S14 mmap_seq_check */
  if :: !ok -> goto abort_rcu :: else -> skip fi;                        /* S15 if_not */
  d_step { pte_lock(locked) };                                           /* S16 pte_trylock */
  if :: !locked -> goto abort_rcu :: else -> skip fi;                    /* S17 if_not */
  d_step { ok = (seq == mm_seq) };                                       /* S18 mmap_seq_check */
  if :: !ok -> goto abort_unlock :: else -> skip fi;                     /* S19 if_not */
  d_step { rcu_exit() };                                                 /* S20 rcu_read_unlock */
  d_step { prot = pv_prot; prot_torn = pv_torn };                        /* S21 vma_read (snapshot) */
  d_step { pte_set(prot, prot_torn || pv_torn, pv_lin, 1, 0) };            /* S22 pte_set */
  d_step { pte_unlock() };                                               /* S23 pte_unlock */
  d_step { thread_end() };                                               /* S24 end */
  goto done;
abort_unlock:
  atomic { pte_unlock() };                                               /* S25 pte_unlock */
abort_rcu:
  atomic { rcu_exit() };                                                 /* S26 rcu_read_unlock */
fallback:
  atomic {                                                               /* F0 mmap_read_lock */
    (ATOMIC || mmh != 0 || (mm_writer == NONE && (mm_waiting & ~(1 << t)) == 0)) ->
    assert(!ATOMIC); assert(mmh == 0);
    mm_readers = mm_readers | (1 << t); mmh = 1
  };
  d_step { vma_lookup(f_vma) };                                          /* F1 vma_lookup */
  if :: f_vma == NONE -> goto segv :: else -> skip fi;                   /* F2 if_none */
  d_step {                                                               /* F3 vma_read prot */
    deref_vma(0); f_prot = v_prot; f_prot_torn = (v_bracket != NONE && v_bracket != t)
  };
walk_pmd:
  atomic {                                                               /* M0 pt_walk level 1 */
    deref_tab(0, 0); m_pmd = tb[0].e[MS];
    if :: m_pmd != NONE -> deref_tab(m_pmd, 0) :: else -> skip fi
  };
  if :: m_pmd != NONE -> goto walk_pte :: else -> skip fi;               /* M1 if_some */
  d_step {                                                               /* M2 pt_alloc kernel */
    (ATOMIC || freepages > 0) -> assert(!ATOMIC); assert(ntables < MAXT);
    freepages--; m_newpmd = ntables; ntables++
  };
  if :: m_newpmd == NONE -> goto oom :: else -> skip fi;                 /* M3 if_none */
  d_step { (ptlock == NONE || ptlock == t) -> assert(ptlock != t); ptlock = t };  /* M4 spin_lock */
  d_step {                                                               /* M5 pt_install level 1 */
    deref_tab(m_newpmd, 0); assert(ptlock == t); assert(tb[m_newpmd].parent == NONE);
    deref_tab(0, 0);
    if
    :: tb[0].e[MS] != NONE -> m_inst = 0
    :: else ->
       tb[m_newpmd].level = 1; tb[m_newpmd].parent = 0; tb[m_newpmd].pslot = MS;
       tb[0].e[MS] = m_newpmd; m_inst = 1
    fi
  };
  d_step { assert(ptlock == t); ptlock = NONE };                         /* M6 spin_unlock */
  if :: m_inst -> goto walk_pmd :: else -> skip fi;                      /* M7 if */
  d_step {                                                               /* M8 pt_free */
    assert(!tb[m_newpmd].pres[0] && !tb[m_newpmd].pres[1]);              /* lost-mapping */
    assert(tb[m_newpmd].life == LIVE); tb[m_newpmd].life = FREED; freepages++
  };
  goto walk_pmd;                                                         /* M9 goto */
walk_pte:
  atomic {                                                               /* M10 pt_walk level 2 */
    deref_tab(m_pmd, 0); m_pt = tb[m_pmd].e[MS];
    if :: m_pt != NONE -> deref_tab(m_pt, 0) :: else -> skip fi
  };
  if :: m_pt != NONE -> goto map :: else -> skip fi;                     /* M11 if_some */
  d_step {                                                               /* M12 pt_alloc kernel */
    (ATOMIC || freepages > 0) -> assert(!ATOMIC); assert(ntables < MAXT);
    freepages--; m_newpt = ntables; ntables++
  };
  if :: m_newpt == NONE -> goto oom :: else -> skip fi;                  /* M13 if_none */
  d_step { (ptlock == NONE || ptlock == t) -> assert(ptlock != t); ptlock = t };  /* M14 spin_lock */
  d_step {                                                               /* M15 pt_install level 2 */
    deref_tab(m_newpt, 0); assert(ptlock == t); assert(tb[m_newpt].parent == NONE);
    deref_tab(m_pmd, 0);
    if
    :: tb[m_pmd].e[MS] != NONE -> m_inst = 0
    :: else ->
       linked(m_pmd, 0); assert(res);                                    /* page-table-leak */
       tb[m_newpt].level = 2; tb[m_newpt].parent = m_pmd; tb[m_newpt].pslot = MS;
       tb[m_pmd].e[MS] = m_newpt; m_inst = 1
    fi
  };
  d_step { assert(ptlock == t); ptlock = NONE };                         /* M16 spin_unlock */
  if :: m_inst -> goto walk_pte :: else -> skip fi;                      /* M17 if */
  d_step {                                                               /* M18 pt_free */
    assert(!tb[m_newpt].pres[0] && !tb[m_newpt].pres[1]);
    assert(tb[m_newpt].life == LIVE); tb[m_newpt].life = FREED; freepages++
  };
  goto walk_pte;                                                         /* M19 goto */
map:
  atomic { PTLFREE(MS, t) -> pte_lock(m_locked) };                       /* M20 pte_lock */
  if :: !m_locked -> goto walk_pmd :: else -> skip fi;                   /* M21 if_not */
  d_step { pte_set(f_prot, f_prot_torn, 0, 2, 1) };            /* M22 pte_set */
  d_step { pte_unlock() };                                               /* M23 pte_unlock */
  d_step { f_mapped = 1 };                                               /* M24 return true */
  goto mapped;
oom:
  atomic { f_mapped = 0 };                                               /* M25 return false */
mapped:
  atomic { mmap_read_unlock() };                                         /* F5 mmap_read_unlock */
  if :: !f_mapped -> goto retry :: else -> skip fi;                      /* F6 if_not */
  d_step { thread_end() };                                               /* F7 end */
  goto done;
segv:
  atomic { mmap_read_unlock() };                                         /* F8 mmap_read_unlock */
  d_step { thread_end() };                                               /* F9 end sigsegv */
  goto done;
retry:
  atomic { thread_end() };                                               /* F10 end retry */
done:
  skip
}

/* munmap of [0,4) (models/protocols/munmap.json, ops U0-U13). */
proctype munmap(byte t) {
  byte sect, mmh, ptlt = NONE, vma = NONE;

  mmap_write_lock();                                                     /* U0 mmap_write_lock */
  d_step { vma_lookup(vma) };                                            /* U1 vma_lookup */
  if :: vma == NONE -> goto nothing :: else -> skip fi;                  /* U2 if_none */
  vma_start_write();                                                     /* U3 vma_start_write */
  d_step {                                                               /* U4 vma_mark_detached */
    (ATOMIC || v_readers == 0) -> assert(!ATOMIC); deref_vma(0);
    assert(mmh == 2 && v_lockseq == mm_seq); assert(v_attached); v_attached = 0
  };
  d_step { assert(mmh == 2 && mm_writer == t); assert(v_intree); v_intree = 0 };  /* U5 vma_remove */
  d_step {                                                               /* U6 mmap_write_downgrade */
    assert(mmh == 2 && mm_writer == t);
    mm_seq++; mm_writer = NONE; mm_readers = mm_readers | (1 << t); mmh = 1
  };
  d_step {                                                               /* U7 zap [0,4) */
    RANGEFREE(t) ->
    for (lo : 0 .. 3) {
      walk_leaf(lo);
      if
      :: g != NONE && tb[g].pres[lo % 2] ->
         tb[g].pres[lo % 2] = 0; tb[g].pprot[lo % 2] = 0; tb[g].plin[lo % 2] = NONE;
         tb[g].pcom[lo % 2] = NONE; tb[g].psite[lo % 2] = NONE
      :: else -> skip
      fi
    }
    lo = 0; g = 0
  };
  d_step {                                                               /* U8 free_pgtables [0,4), rcu */
    /* Children before parents; a table is freed when no attached VMA overlaps it. Only the
     * root's entry 0 meets [0,4). */
    c = tb[0].e[0];
    if
    :: c != NONE && !(v_attached && v_life != FREED) ->
       if
       :: tb[c].life != FREED ->
          for (k : 0 .. 1) {
            g = tb[c].e[k];
            if
            :: g != NONE ->
               assert(!tb[g].pres[0] && !tb[g].pres[1]);                 /* lost-mapping */
               if :: tb[tb[g].parent].e[tb[g].pslot] == g -> tb[tb[g].parent].e[tb[g].pslot] = NONE :: else -> skip fi;
               free_tab_rcu(g)
            :: else -> skip
            fi
          }
       :: else -> skip
       fi;
       assert(!tb[c].pres[0] && !tb[c].pres[1]);
       if :: tb[0].e[tb[c].pslot] == c -> tb[0].e[tb[c].pslot] = NONE :: else -> skip fi;
       free_tab_rcu(c)
    :: else -> skip
    fi;
    c = 0; g = 0; k = 0
  };
  d_step { assert(v_life == LIVE); v_life = PEND; v_rcur = READERS };    /* U9 vma_free_rcu */
  d_step { mmap_read_unlock() };                                         /* U10 mmap_read_unlock */
  d_step { thread_end() };                                               /* U11 end */
  goto done;
nothing:
  atomic { mmap_write_unlock() };                                        /* U12 mmap_write_unlock */
  d_step { thread_end() };                                               /* U13 end */
done:
  skip
}

/* mprotect of [0,4) to r, in place (models/protocols/mprotect.json "mprotect", ops P0-P10). */
proctype mprotect(byte t) {
  byte sect, mmh, ptlt = NONE, vma = NONE;

  mmap_write_lock();                                                     /* P0 mmap_write_lock */
  d_step { vma_lookup(vma) };                                            /* P1 vma_lookup */
  if :: vma == NONE -> goto out :: else -> skip fi;                      /* P2 if_none */
  vma_start_write();                                                     /* P3 vma_start_write */
  d_step {                                                               /* P4 vma_write_begin */
    deref_vma(0);
    assert(!v_attached || v_bracket == t || (mmh == 2 && v_lockseq == mm_seq));
    assert(v_bracket == NONE); v_bracket = t; v_seq++
  };
  d_step {                                                               /* P5 vma_set prot = r */
    deref_vma(0);
    assert(!v_attached || v_bracket == t || (mmh == 2 && v_lockseq == mm_seq));
    v_prot = PR; if :: v_bracket != t -> v_seq = v_seq + 2 :: else -> skip fi
  };
  d_step {                                                               /* P6 vma_set anon = true */
    deref_vma(0);
    assert(!v_attached || v_bracket == t || (mmh == 2 && v_lockseq == mm_seq));
    v_anon = 1; if :: v_bracket != t -> v_seq = v_seq + 2 :: else -> skip fi
  };
  d_step { deref_vma(0); assert(v_bracket == t); v_bracket = NONE; v_seq++ };  /* P7 vma_write_end */
  d_step {                                                               /* P8 pte_protect [0,4) r */
    RANGEFREE(t) ->
    for (lo : 0 .. 3) {
      walk_leaf(lo);
      if
      :: g != NONE && tb[g].pres[lo % 2] -> tb[g].pprot[lo % 2] = tb[g].pprot[lo % 2] & PR
      :: else -> skip
      fi
    }
    lo = 0; g = 0
  };
out:
  atomic { mmap_write_unlock() };                                        /* P9 mmap_write_unlock */
  d_step { thread_end() }                                                /* P10 end */
}

/* The grace-period step: frees every queued object whose recorded readers have all left. */
proctype rcu() {
end:
  do
  :: d_step {
       ((v_life == PEND && v_rcur == 0) || GP(0) || GP(1) || GP(2) || GP(3) || GP(4) || GP(5)) ->
       if :: v_life == PEND && v_rcur == 0 -> v_life = FREED; freepages++ :: else -> skip fi;
       for (k : 0 .. MAXT - 1) {
         if :: GP(k) -> tb[k].life = FREED; freepages++ :: else -> skip fi
       }
       k = 0
     }
  od
}

init {
  byte i;
  atomic {
    for (i : 0 .. MAXT - 1) {
      tb[i].level = NONE; tb[i].parent = NONE; tb[i].pslot = NONE; tb[i].ptl = NONE;
      tb[i].e[0] = NONE; tb[i].e[1] = NONE;
      tb[i].plin[0] = NONE; tb[i].plin[1] = NONE; tb[i].pcom[0] = NONE; tb[i].pcom[1] = NONE;
      tb[i].psite[0] = NONE; tb[i].psite[1] = NONE
    }
    /* pageTables "populated": root -> PMD table#1 -> PTE tables #2 [0,2) and #3 [2,4). */
    tb[0].level = 0; tb[0].e[0] = 1;
    tb[1].level = 1; tb[1].parent = 0; tb[1].pslot = 0; tb[1].e[0] = 2; tb[1].e[1] = 3;
    tb[2].level = 2; tb[2].parent = 1; tb[2].pslot = 0;
    tb[3].level = 2; tb[3].parent = 1; tb[3].pslot = 1;
    for (i : 0 .. NFAULT - 1) { run fault(i) }
    run munmap(TU);
    run mprotect(TP);
    run rcu();
    i = 0
  }
}
