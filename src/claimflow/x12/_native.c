/*
 * claimflow.x12._native: the optional compiled fast path for clean 835 files.
 *
 * It reads an 835 the way the pure-Python engine does (the same tokenizing, envelope checks,
 * spec-driven loop building and element checks, the same extraction) and writes the rows
 * straight into Arrow-layout column buffers. It never words an error: at the first thing the
 * Python engine would report (an error or a warning), or anything outside its path (another
 * transaction set, non-ASCII bytes, a control character inside a segment, a newline
 * terminator, ...), it stops and says why, and the caller parses the file with the Python
 * engine instead. The Python engine stays the reference;
 * tests/sources/test_x12_fast.py holds this file to it row for row.
 *
 * The loop-builder tables (which slot a segment may fill from which loop, element rules) are
 * not written here: Python exports them from the same compiled spec its own builder uses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include "sha256.h"

typedef __int128 i128;

enum { T_STR = 's', T_DEC = 'd', T_QTY = 'q', T_DATE = 't', T_I64 = 'i', T_BOOL = 'b' };

typedef struct {
    const char *name;
    char type;
} ColSpec;

typedef struct {
    size_t n, cap;
    uint8_t *valid;
    uint8_t *fixed;
    int32_t *off;
    char *data;
    size_t dlen, dcap;
} Col;

static int width(char type) {
    switch (type) {
        case T_DEC: return 16;
        case T_QTY: return 8;
        case T_DATE: return 4;
        case T_I64: return 8;
        case T_BOOL: return 1;
        default: return 0;
    }
}

/* Values of one row before it is appended (strings are copied into the row's arena). */
#define MAXCOLS 64
#define ARENA 8192
typedef struct {
    uint8_t set[MAXCOLS];
    const char *s[MAXCOLS];
    int len[MAXCOLS];
    i128 num[MAXCOLS];
    double dbl[MAXCOLS];
    char arena[ARENA];
    size_t used;
    int overflow;
} Row;

static void row_clear(Row *r) {
    memset(r->set, 0, sizeof r->set);
    r->used = 0;
    r->overflow = 0;
}

static void row_str(Row *r, int c, const char *p, int len) {
    if (len <= 0 || p == NULL) { r->set[c] = 0; return; }
    if (r->used + (size_t)len > ARENA) { r->overflow = 1; r->set[c] = 0; return; }
    memcpy(r->arena + r->used, p, (size_t)len);
    r->s[c] = r->arena + r->used;
    r->len[c] = len;
    r->used += (size_t)len;
    r->set[c] = 1;
}

static void row_num(Row *r, int c, i128 v) { r->set[c] = 1; r->num[c] = v; }

typedef struct {
    const char *name;
    const ColSpec *cols;
    int ncols;
    Col col[MAXCOLS];
} Table;

static int col_grow(Col *c, char type) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    uint8_t *valid = realloc(c->valid, cap);
    if (!valid) return -1;
    c->valid = valid;
    if (type == T_STR) {
        int32_t *off = realloc(c->off, (cap + 1) * sizeof(int32_t));
        if (!off) return -1;
        if (!c->off) off[0] = 0;
        c->off = off;
    } else {
        uint8_t *fixed = realloc(c->fixed, cap * (size_t)width(type));
        if (!fixed) return -1;
        c->fixed = fixed;
    }
    c->cap = cap;
    return 0;
}

static int table_append(Table *t, const Row *r) {
    for (int i = 0; i < t->ncols; i++) {
        Col *c = &t->col[i];
        char type = t->cols[i].type;
        if (c->n == c->cap && col_grow(c, type) < 0) return -1;
        c->valid[c->n] = r->set[i];
        if (type == T_STR) {
            int len = r->set[i] ? r->len[i] : 0;
            if (c->dlen + (size_t)len > c->dcap) {
                size_t dcap = c->dcap ? c->dcap : 1 << 16;
                while (dcap < c->dlen + (size_t)len) dcap *= 2;
                char *data = realloc(c->data, dcap);
                if (!data) return -1;
                c->data = data;
                c->dcap = dcap;
            }
            if (len) memcpy(c->data + c->dlen, r->s[i], (size_t)len);
            c->dlen += (size_t)len;
            c->off[c->n + 1] = (int32_t)c->dlen;
        } else {
            i128 v = r->set[i] ? r->num[i] : 0;
            uint8_t *dst = c->fixed + c->n * (size_t)width(type);
            switch (type) {
                case T_DEC: memcpy(dst, &v, 16); break;
                case T_QTY: {
                    double d = r->set[i] ? r->dbl[i] : 0.0;
                    memcpy(dst, &d, 8);
                    break;
                }
                case T_DATE: { int32_t d = (int32_t)v; memcpy(dst, &d, 4); break; }
                case T_I64: { int64_t x = (int64_t)v; memcpy(dst, &x, 8); break; }
                case T_BOOL: *dst = v != 0; break;
            }
        }
        c->n++;
    }
    return 0;
}

static PyObject *bitmap(const uint8_t *bytes, size_t n) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((n + 7) / 8));
    if (!out) return NULL;
    uint8_t *bits = (uint8_t *)PyBytes_AS_STRING(out);
    memset(bits, 0, (n + 7) / 8);
    for (size_t i = 0; i < n; i++)
        if (bytes[i]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    return out;
}

/* A malloc'd block handed to Python as a read-only buffer (no copy); freed with the object. */
typedef struct {
    PyObject_HEAD
    void *data;
    Py_ssize_t size;
} Owned;

static int Owned_getbuffer(Owned *self, Py_buffer *view, int flags) {
    return PyBuffer_FillInfo(view, (PyObject *)self, self->data ? self->data : (void *)"",
                             self->size, 1, flags);
}

static void Owned_dealloc(Owned *self) {
    free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyBufferProcs Owned_as_buffer = {(getbufferproc)Owned_getbuffer, NULL};

static PyTypeObject OwnedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "claimflow.x12._native.Buffer",
    .tp_basicsize = sizeof(Owned),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Column values handed over by the fast path (read-only buffer).",
    .tp_dealloc = (destructor)Owned_dealloc,
    .tp_as_buffer = &Owned_as_buffer,
};

/* Hand ``*ptr`` (``size`` bytes used) to Python and give the column a fresh block of
 * ``cap`` bytes (untouched pages cost nothing until written). */
static PyObject *hand_over(void **ptr, size_t size, size_t cap) {
    void *fresh = malloc(cap ? cap : 1);
    if (!fresh) return PyErr_NoMemory();
    Owned *out = PyObject_New(Owned, &OwnedType);
    if (!out) { free(fresh); return NULL; }
    out->data = *ptr;
    out->size = (Py_ssize_t)size;
    *ptr = fresh;
    return (PyObject *)out;
}

/* [(name, type, rows, validity bitmap, values, offsets-or-None), ...]; the table is emptied. */
static PyObject *table_take(Table *t) {
    PyObject *list = PyList_New(t->ncols);
    if (!list) return NULL;
    for (int i = 0; i < t->ncols; i++) {
        Col *c = &t->col[i];
        char type = t->cols[i].type;
        size_t n = c->n;
        PyObject *valid = bitmap(c->valid, n), *values, *offsets;
        if (type == T_STR) {
            values = hand_over((void **)&c->data, c->dlen, c->dcap);
            offsets = hand_over((void **)&c->off, (n + 1) * sizeof(int32_t),
                                (c->cap + 1) * sizeof(int32_t));
            if (!c->data) c->dcap = 0;
            if (c->off) c->off[0] = 0;
        } else if (type == T_BOOL) {
            values = bitmap(c->fixed, n);
            offsets = Py_NewRef(Py_None);
        } else {
            values = hand_over((void **)&c->fixed, n * (size_t)width(type),
                               c->cap * (size_t)width(type));
            offsets = Py_NewRef(Py_None);
        }
        if (!valid || !values || !offsets) {
            Py_XDECREF(valid); Py_XDECREF(values); Py_XDECREF(offsets); Py_DECREF(list);
            return NULL;
        }
        char code[2] = {type, 0};
        PyObject *item = Py_BuildValue("(ssnNNN)", t->cols[i].name, code, (Py_ssize_t)n, valid,
                                       values, offsets);
        if (!item) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, item);
        c->n = 0;
        c->dlen = 0;
    }
    return list;
}

static void table_free(Table *t) {
    for (int i = 0; i < t->ncols; i++) {
        free(t->col[i].valid); free(t->col[i].fixed); free(t->col[i].off); free(t->col[i].data);
        memset(&t->col[i], 0, sizeof(Col));
    }
}

/* The tables, their columns in the spool's order (claimflow.sources.x12.spool_columns). */
#define LINEAGE_COLS                                                                         \
    {"data_source", T_STR}, {"source_file_id", T_STR}, {"source_row_number", T_I64},          \
        {"isa_control_number", T_STR}, {"group_control_number", T_STR},                       \
        {"st_control_number", T_STR}, {"segment_index", T_I64}, { "lineage_hash", T_STR }
#define NLINEAGE 8

static const ColSpec PAY_COLS[] = {
    {"payment_id", T_STR}, {"transaction_handling_code", T_STR},
    {"total_payment_amount", T_DEC}, {"credit_debit_flag", T_STR},
    {"payment_method_code", T_STR}, {"payment_format_code", T_STR}, {"sender_dfi_id", T_STR},
    {"sender_account_last4", T_STR}, {"payer_company_id", T_STR}, {"receiver_dfi_id", T_STR},
    {"receiver_account_last4", T_STR}, {"payment_date", T_DATE}, {"trace_type_code", T_STR},
    {"trace_number", T_STR}, {"trace_originator_id", T_STR},
    {"trace_originator_supplemental", T_STR}, {"production_date", T_DATE},
    {"payer_name", T_STR}, {"payer_id", T_STR}, {"payee_name", T_STR},
    {"payee_id_qualifier", T_STR}, {"payee_id", T_STR}, {"payee_tin", T_STR}, LINEAGE_COLS};
enum { P_ID, P_HANDLING, P_TOTAL, P_CREDIT, P_METHOD, P_FORMAT, P_SDFI, P_SACCT, P_PAYERCO,
       P_RDFI, P_RACCT, P_DATE, P_TRTYPE, P_TRNUM, P_TRORIG, P_TRSUPP, P_PROD, P_PAYER_NAME,
       P_PAYER_ID, P_PAYEE_NAME, P_PAYEE_Q, P_PAYEE_ID, P_PAYEE_TIN, P_LINEAGE };

static const ColSpec CLP_COLS[] = {
    {"adjudication_id", T_STR}, {"payment_id", T_STR}, {"patient_control_number", T_STR},
    {"claim_status_code", T_STR}, {"total_charge", T_DEC}, {"paid_amount", T_DEC},
    {"patient_responsibility", T_DEC}, {"claim_filing_indicator", T_STR},
    {"payer_claim_control_number", T_STR}, {"facility_type_code", T_STR},
    {"claim_frequency_code", T_STR}, {"drg_code", T_STR}, {"drg_weight", T_QTY},
    {"discharge_fraction", T_QTY}, {"patient_member_id", T_STR}, {"insured_member_id", T_STR},
    {"corrected_member_id", T_STR}, {"rendering_npi", T_STR}, {"crossover_payer_name", T_STR},
    {"statement_from", T_DATE}, {"statement_to", T_DATE}, {"payer_received_date", T_DATE},
    {"coverage_amount", T_DEC}, {"interest_amount", T_DEC}, {"discount_amount", T_DEC},
    {"original_reference_number", T_STR}, {"group_number", T_STR}, {"mrn", T_STR},
    {"claim_id", T_STR}, {"match_method", T_STR}, {"match_score", T_QTY},
    {"record_type", T_STR}, {"is_denied", T_BOOL}, LINEAGE_COLS};
enum { C_ID, C_PAYMENT, C_PCN, C_STATUS, C_CHARGE, C_PAID, C_PR, C_FILING, C_PCCN, C_FACILITY,
       C_FREQ, C_DRG, C_DRGW, C_DISCH, C_PATIENT, C_INSURED, C_CORRECTED, C_RENDERING,
       C_CROSSOVER, C_STMT_FROM, C_STMT_TO, C_RECEIVED, C_COVERAGE, C_INTEREST, C_DISCOUNT,
       C_ORIGREF, C_GROUP, C_MRN, C_CLAIM_ID, C_MATCH, C_SCORE, C_RECORD, C_DENIED, C_LINEAGE };

static const ColSpec SVC_COLS[] = {
    {"adjudication_line_id", T_STR}, {"adjudication_id", T_STR}, {"procedure_qualifier", T_STR},
    {"procedure_code", T_STR}, {"modifier_1", T_STR}, {"modifier_2", T_STR},
    {"modifier_3", T_STR}, {"modifier_4", T_STR}, {"line_charge", T_DEC}, {"line_paid", T_DEC},
    {"revenue_code", T_STR}, {"units_paid", T_QTY}, {"original_procedure_qualifier", T_STR},
    {"original_procedure_code", T_STR}, {"original_modifier_1", T_STR},
    {"original_units", T_QTY}, {"service_from", T_DATE}, {"service_to", T_DATE},
    {"line_item_control_number", T_STR}, {"allowed_amount", T_DEC}, {"claim_line_id", T_STR},
    {"match_method", T_STR}, LINEAGE_COLS};
enum { L_ID, L_ADJ, L_PQUAL, L_PROC, L_MOD1, L_MOD2, L_MOD3, L_MOD4, L_CHARGE, L_PAID, L_REV,
       L_UNITS, L_OPQUAL, L_OPROC, L_OMOD1, L_OUNITS, L_FROM, L_TO, L_LICN, L_ALLOWED,
       L_CLAIM_LINE, L_MATCH, L_LINEAGE };

static const ColSpec CAS_COLS[] = {
    {"adjustment_id", T_STR}, {"adjudication_id", T_STR}, {"adjudication_line_id", T_STR},
    {"claim_id", T_STR}, {"claim_line_id", T_STR}, {"level", T_STR}, {"source", T_STR},
    {"group_code", T_STR}, {"reason_code", T_STR}, {"amount", T_DEC}, {"quantity", T_QTY},
    {"triplet_index", T_I64}, {"is_patient_responsibility", T_BOOL}, LINEAGE_COLS};
enum { A_ID, A_ADJ, A_LINE, A_CLAIM, A_CLAIM_LINE, A_LEVEL, A_SOURCE, A_GROUP, A_REASON,
       A_AMOUNT, A_QTY, A_TRIPLET, A_PR, A_LINEAGE };

static const ColSpec RMK_COLS[] = {
    {"remark_id", T_STR}, {"adjudication_id", T_STR}, {"adjudication_line_id", T_STR},
    {"level", T_STR}, {"source_segment", T_STR}, {"remark_code", T_STR}, LINEAGE_COLS};
enum { R_ID, R_ADJ, R_LINE, R_LEVEL, R_SOURCE, R_CODE, R_LINEAGE };

static const ColSpec PLB_COLS[] = {
    {"provider_adjustment_id", T_STR}, {"payment_id", T_STR}, {"provider_identifier", T_STR},
    {"fiscal_period_date", T_DATE}, {"pair_index", T_I64}, {"reason_code", T_STR},
    {"reference_id", T_STR}, {"amount", T_DEC}, LINEAGE_COLS};
enum { B_ID, B_PAYMENT, B_PROVIDER, B_PERIOD, B_PAIR, B_REASON, B_REF, B_AMOUNT, B_LINEAGE };

static const ColSpec HDR_COLS[] = {
    {"claim_id", T_STR}, {"patient_control_number", T_STR}, {"claim_type", T_STR},
    {"claim_status", T_STR}, {"denial_reason", T_STR}, {"total_charge", T_DEC},
    {"place_of_service_code", T_STR}, {"bill_type_code", T_STR},
    {"claim_frequency_code", T_STR}, {"assignment_code", T_STR},
    {"benefits_assignment", T_STR}, {"release_of_info", T_STR}, {"related_causes", T_STR},
    {"delay_reason_code", T_STR}, {"payer_responsibility_seq", T_STR},
    {"subscriber_relationship_code", T_STR}, {"group_number", T_STR},
    {"claim_filing_indicator", T_STR}, {"member_id", T_STR}, {"person_id", T_STR},
    {"patient_dob", T_DATE}, {"patient_gender", T_STR}, {"payer_id", T_STR},
    {"payer_name", T_STR}, {"billing_npi", T_STR}, {"billing_tin", T_STR},
    {"billing_taxonomy", T_STR}, {"rendering_npi", T_STR}, {"attending_npi", T_STR},
    {"operating_npi", T_STR}, {"referring_npi", T_STR}, {"facility_npi", T_STR},
    {"statement_from", T_DATE}, {"statement_to", T_DATE}, {"admission_date", T_DATE},
    {"discharge_hour", T_STR}, {"admission_type_code", T_STR},
    {"admission_source_code", T_STR}, {"discharge_status_code", T_STR}, {"drg_code", T_STR},
    {"prior_auth_number", T_STR}, {"referral_number", T_STR},
    {"original_payer_claim_control_number", T_STR}, {"clearinghouse_trace_number", T_STR},
    {"medical_record_number", T_STR}, {"patient_paid_amount", T_DEC},
    {"expected_payment", T_DEC}, {"submission_date", T_DATE}, {"batch_id", T_STR},
    LINEAGE_COLS};
enum { H_ID, H_PCN, H_TYPE, H_STATUS, H_DENIAL, H_CHARGE, H_POS, H_BILL_TYPE, H_FREQ, H_ASSIGN,
       H_BENEFITS, H_RELEASE, H_RELATED, H_DELAY, H_PAYER_SEQ, H_RELATIONSHIP, H_GROUP,
       H_FILING, H_MEMBER, H_PERSON, H_DOB, H_GENDER, H_PAYER_ID, H_PAYER_NAME, H_BILLING_NPI,
       H_BILLING_TIN, H_TAXONOMY, H_RENDERING, H_ATTENDING, H_OPERATING, H_REFERRING,
       H_FACILITY, H_STMT_FROM, H_STMT_TO, H_ADMISSION, H_DISCHARGE_HOUR, H_ADM_TYPE,
       H_ADM_SOURCE, H_DISCHARGE_STATUS, H_DRG, H_PRIOR_AUTH, H_REFERRAL, H_ORIG_PCCN,
       H_TRACE, H_MRN, H_PATIENT_PAID, H_EXPECTED, H_SUBMISSION, H_BATCH, H_LINEAGE };

static const ColSpec LINE_COLS[] = {
    {"claim_line_id", T_STR}, {"claim_id", T_STR}, {"line_number", T_I64},
    {"line_item_control_number", T_STR}, {"revenue_code", T_STR},
    {"procedure_qualifier", T_STR}, {"procedure_code", T_STR}, {"modifier_1", T_STR},
    {"modifier_2", T_STR}, {"modifier_3", T_STR}, {"modifier_4", T_STR},
    {"line_charge", T_DEC}, {"unit_basis", T_STR}, {"units", T_QTY},
    {"place_of_service_code", T_STR}, {"dx_pointer_1", T_I64}, {"dx_pointer_2", T_I64},
    {"dx_pointer_3", T_I64}, {"dx_pointer_4", T_I64}, {"non_covered_charge", T_DEC},
    {"emergency_indicator", T_STR}, {"service_from", T_DATE}, {"service_to", T_DATE},
    {"ndc_code", T_STR}, {"drug_qty", T_QTY}, {"drug_unit", T_STR}, {"rendering_npi", T_STR},
    LINEAGE_COLS};
enum { N_ID, N_CLAIM, N_NUMBER, N_LICN, N_REV, N_PQUAL, N_PROC, N_MOD1, N_MOD2, N_MOD3, N_MOD4,
       N_CHARGE, N_BASIS, N_UNITS, N_POS, N_PTR1, N_PTR2, N_PTR3, N_PTR4, N_NONCOVERED,
       N_EMERGENCY, N_FROM, N_TO, N_NDC, N_DRUG_QTY, N_DRUG_UNIT, N_RENDERING, N_LINEAGE };

static const ColSpec DX_COLS[] = {
    {"diagnosis_id", T_STR}, {"claim_id", T_STR}, {"sequence", T_I64}, {"qualifier", T_STR},
    {"code", T_STR}, {"poa_indicator", T_STR}, {"is_principal", T_BOOL}, LINEAGE_COLS};
static const ColSpec PX_COLS[] = {
    {"procedure_id", T_STR}, {"claim_id", T_STR}, {"sequence", T_I64}, {"qualifier", T_STR},
    {"code", T_STR}, {"procedure_date", T_DATE}, {"is_principal", T_BOOL}, LINEAGE_COLS};
enum { X_ID, X_CLAIM, X_SEQ, X_QUAL, X_CODE, X_EXTRA, X_PRINCIPAL, X_LINEAGE };

enum { TB_PAY, TB_CLP, TB_SVC, TB_CAS, TB_RMK, TB_PLB, TB_HDR, TB_LINE, TB_DX, TB_PX, NTABLES };
enum { KIND_835 = 1, KIND_837P = 2 };
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------ spec tables */

#define MAXSLOTS 256
#define MAXNODES 128
#define MAXSIDS 96
#define MAXDEPTH 16
#define MAXELS 64
#define MAX_SEGMENT (16u << 20)

typedef struct { char v[8]; int len; } Code;

typedef struct {
    int pos, component, required, min_len, max_len;
    char type; /* 'A' AN/ID, 'R', 'N' (N0/N2), 'D' date, 'T' time */
    int ncodes; Code *codes;
} Rule;

typedef struct {
    int max_use, max_elements, nrules;
    Rule *rules;
} Slot;

typedef struct {
    int slot, opens, under, order, qpos, nq, check;
    Code *qvals;
} Cand;

typedef struct {
    char loop_id[8];
    int max_repeat, has_required;
    int nreq_slots, req_slots[MAXSLOTS];
    int nreq_children, req_children[MAXNODES];
    Cand *cands[MAXSIDS];
    int ncands[MAXSIDS];
} Node;

typedef struct {
    int node, last_order;
    int seg_counts[MAXSLOTS];
    int child_counts[MAXNODES];
} Inst;

/* ------------------------------------------------------------------ the parser object */

typedef struct { const char *p; int len; } Str;

enum { RUNNING = 0, BAILED = 1, DONE = 2 };

typedef struct {
    PyObject_HEAD
    /* spec */
    int nsids, nslots, nnodes;
    uint32_t sid_key[MAXSIDS];
    uint8_t sid_slot[256]; /* open addressing: sid_key hash -> index + 1 (0: empty) */
    Slot slots[MAXSLOTS];
    Node *nodes;
    PyObject *resolve; /* candidates(node, sid): where a segment may go, asked lazily */
    int n_root, n_1000a, n_1000b, n_2100, n_2110;
    char **guides; int nguides;
    /* file */
    char *file_id; int file_id_len;
    char *data_source; int data_source_len;
    Sha prefix;
    char *buf; size_t len, cap, pos;
    int status;
    char reason[160];
    /* delimiters and envelope state */
    char es, cs, term;
    int seeking, isa_open, group_open, txn_open, fresh;
    long long index, position;
    char isa13[32]; int isa13_len;
    char isa_fields[5][32];
    int isa_groups;
    char gs06[64]; int gs06_len;
    char group_fields[4][64];
    long long group_first; int tx_count;
    char st01[8]; char st02[64]; int st02_len; char guide[64];
    long long st_first;
    PyObject *groups, *txns;
    int ntxn_total;
    /* loop builder */
    Inst stack[MAXDEPTH];
    int depth;
    /* extractor */
    char payment_id[32], claim_id[32], line_id[32];
    Row pay, claim, line, tmp;
    int has_pay, has_claim, has_line;
    i128 claim_cas, line_cas, paid_total, plb_total;
    Table tables[NTABLES];
    long long pending;
    /* 837P extractor */
    int kind;
    Row bht, bill, sub, pat;
    Row *lines, *dx, *px;
    int nlines, ndx, npx, cap_lines, cap_dx, cap_px;
    int line_open; /* lines[nlines - 1] is the current line */
    char hdr_id[32];
} Parser;

static int bail(Parser *ps, const char *why) {
    if (ps->status == RUNNING) {
        ps->status = BAILED;
        snprintf(ps->reason, sizeof ps->reason, "segment %lld: %s", ps->index, why);
    }
    return -1;
}

/* ------------------------------------------------------------------ small helpers */

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\x0b' || c == '\x0c';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static Str strip(Str s) {
    while (s.len && is_ws(s.p[0])) { s.p++; s.len--; }
    while (s.len && is_ws(s.p[s.len - 1])) s.len--;
    return s;
}

static int eq(Str s, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)s.len == n && memcmp(s.p, lit, n) == 0;
}

static Str el(const Str *els, int nels, int pos) {
    Str none = {NULL, 0};
    return pos < nels ? els[pos] : none;
}

/* Component ``i`` (1-based) of ``value`` split by ``sep``; empty when absent. */
static Str part(Str value, char sep, int i) {
    Str out = {NULL, 0};
    int k = 1, start = 0;
    for (int j = 0; j <= value.len; j++) {
        if (j == value.len || value.p[j] == sep) {
            if (k == i) { out.p = value.p + start; out.len = j - start; return out; }
            k++;
            start = j + 1;
        }
    }
    return out;
}

static int lstrip0_eq(Str a, Str b) {
    while (a.len && a.p[0] == '0') { a.p++; a.len--; }
    while (b.len && b.p[0] == '0') { b.p++; b.len--; }
    return a.len == b.len && memcmp(a.p, b.p, (size_t)a.len) == 0;
}

static int fmt_ll(char *out, long long v) {
    char tmp[24];
    int n = 0, neg = v < 0;
    unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    int len = 0;
    if (neg) out[len++] = '-';
    while (n) out[len++] = tmp[--n];
    out[len] = 0;
    return len;
}

static int valid_date(Str v, int32_t *days) {
    if (v.len != 8) return 0;
    for (int i = 0; i < 8; i++) if (!is_digit(v.p[i])) return 0;
    int y = (v.p[0] - '0') * 1000 + (v.p[1] - '0') * 100 + (v.p[2] - '0') * 10 + (v.p[3] - '0');
    int m = (v.p[4] - '0') * 10 + (v.p[5] - '0');
    int d = (v.p[6] - '0') * 10 + (v.p[7] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return 0;
    if (days) { /* days since 1970-01-01 (Howard Hinnant's days_from_civil) */
        int yy = y - (m <= 2);
        int era = (yy >= 0 ? yy : yy - 399) / 400;
        int yoe = yy - era * 400;
        int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        *days = era * 146097 + doe - 719468;
    }
    return 1;
}

/* ``-?(\d+\.?\d*|\.\d+)``, the engine's R (decimal) form. */
static int is_decimal(Str v) {
    int i = 0, digits = 0;
    if (i < v.len && v.p[i] == '-') i++;
    while (i < v.len && is_digit(v.p[i])) { i++; digits++; }
    if (i < v.len && v.p[i] == '.') {
        i++;
        int frac = 0;
        while (i < v.len && is_digit(v.p[i])) { i++; frac++; }
        if (!digits && !frac) return 0;
    } else if (!digits) {
        return 0;
    }
    return i == v.len;
}

static int is_integer(Str v) {
    int i = 0;
    if (i < v.len && v.p[i] == '-') i++;
    if (i == v.len) return 0;
    for (; i < v.len; i++) if (!is_digit(v.p[i])) return 0;
    return 1;
}

/* A decimal string as an integer scaled by 10^scale; 0 when it is not in the R form, has
 * non-zero digits past ``scale`` or more than ``max_digits`` digits in all. */
static int scaled(Str v, int scale, int max_digits, i128 *out) {
    if (!is_decimal(v)) return 0;
    int i = 0, neg = 0, frac = -1, significant = 0;
    i128 x = 0;
    if (v.p[0] == '-') { neg = 1; i = 1; }
    for (; i < v.len; i++) {
        char c = v.p[i];
        if (c == '.') { frac = 0; continue; }
        if (frac >= 0 && frac >= scale) {
            if (c != '0') return 0;
            continue;
        }
        if (x || c != '0') significant++;
        if (significant > max_digits) return 0;
        x = x * 10 + (c - '0');
        if (frac >= 0) frac++;
    }
    for (int f = frac < 0 ? 0 : frac; f < scale; f++) {
        if (x) significant++;
        if (significant > max_digits) return 0;
        x *= 10;
    }
    *out = neg ? -x : x;
    return 1;
}

/* money(): an amount for a DECIMAL(18,2) column. 1 ok (set or absent), 0 bail. */
static int money(Row *r, int c, Str v, i128 *value, int *present) {
    *present = 0;
    if (!v.len) { r->set[c] = 0; return 1; }
    i128 x;
    if (!scaled(v, 2, 18, &x)) return 0;
    row_num(r, c, x);
    if (value) *value = x;
    *present = 1;
    return 1;
}

/* A quantity for a DOUBLE column: the nearest double, as float() of the engine's Decimal is
 * (Python's own correctly rounded, locale-independent conversion). Only the R form is taken. */
static int quantity(Row *r, int c, Str v) {
    if (!v.len) { r->set[c] = 0; return 1; }
    /* the engine takes at most 18 significant digits (extract.base.MAX_DIGITS); a value of
     * more digits (even zeros that pad it) goes to the engine */
    int digits = 0;
    for (int i = 0; i < v.len; i++) digits += is_digit(v.p[i]);
    if (!is_decimal(v) || digits > 18) return 0;
    char text[64];
    memcpy(text, v.p, (size_t)v.len);
    text[v.len] = 0;
    double d = PyOS_string_to_double(text, NULL, NULL);
    if (d == -1.0 && PyErr_Occurred()) { PyErr_Clear(); return 0; }
    r->dbl[c] = d;
    r->set[c] = 1;
    return 1;
}

/* parse_date(): a CCYYMMDD value (empty: null) into a DATE column; 0 when the engine would
 * report it. */
static int date_col(Row *r, int c, Str v) {
    if (!v.len) { r->set[c] = 0; return 1; }
    int32_t days;
    if (!valid_date(v, &days)) return 0;
    row_num(r, c, days);
    return 1;
}

/* surrogate_key(parts...): sha256 of the parts joined by '|', 32 hex characters. */
static void surrogate(char out[32], Str a, Str b, long long n1, long long n2, int nnum) {
    Sha s;
    char tmp[48];
    sha_init(&s);
    sha_update(&s, a.p, (size_t)a.len);
    sha_update(&s, "|", 1);
    if (b.p) { sha_update(&s, b.p, (size_t)b.len); sha_update(&s, "|", 1); }
    int n = fmt_ll(tmp, n1);
    if (nnum == 2) { tmp[n++] = '|'; n += fmt_ll(tmp + n, n2); }
    sha_update(&s, tmp, (size_t)n);
    sha_hex(&s, out, 32);
}

static Str S(const char *p, int len) { Str s = {p, len}; return s; }
static Str L(const char *lit) { Str s = {lit, (int)strlen(lit)}; return s; }

/* The lineage columns of a row built from segment ``index`` (``part``: which piece). */
static void lineage(Parser *ps, Row *r, int first, Str raw, int piece) {
    char head[48], hex[64];
    int n = fmt_ll(head, ps->index);
    head[n++] = '|';
    n += fmt_ll(head + n, piece);
    head[n++] = '|';
    Sha s = ps->prefix;
    sha_update(&s, head, (size_t)n);
    sha_update(&s, raw.p, (size_t)raw.len);
    sha_hex(&s, hex, 64);
    row_str(r, first + 0, ps->data_source, ps->data_source_len);
    row_str(r, first + 1, ps->file_id, ps->file_id_len);
    r->set[first + 2] = 0;
    row_str(r, first + 3, ps->isa13, ps->isa13_len);
    row_str(r, first + 4, ps->gs06, ps->gs06_len);
    row_str(r, first + 5, ps->st02, ps->st02_len);
    row_num(r, first + 6, ps->index);
    row_str(r, first + 7, hex, 64);
}

static int emit(Parser *ps, int table, Row *r) {
    if (r->overflow) return bail(ps, "a value too long for the fast path");
    if (table_append(&ps->tables[table], r) < 0) { PyErr_NoMemory(); return -2; }
    ps->pending++;
    return 0;
}

/* ------------------------------------------------------------------ loop builder */

static int check_rules(Parser *ps, const Slot *slot, const Str *els, int nels) {
    if (slot->max_elements && nels - 1 > slot->max_elements) return 0;
    for (int i = 0; i < slot->nrules; i++) {
        const Rule *rule = &slot->rules[i];
        Str v = el(els, nels, rule->pos);
        if (rule->component && v.len) v = part(v, ps->cs, rule->component);
        if (!v.len) {
            if (rule->required) return 0;
            continue;
        }
        if (rule->codes) {
            int found = 0;
            for (int k = 0; k < rule->ncodes && !found; k++)
                found = rule->codes[k].len == v.len && !memcmp(rule->codes[k].v, v.p, (size_t)v.len);
            if (!found) return 0;
            continue;
        }
        switch (rule->type) {
            case 'R': if (!is_decimal(v)) return 0; break;
            case 'N': if (!is_integer(v)) return 0; break;
            case 'D': if (!valid_date(v, NULL)) return 0; break;
            case 'T': {
                if (v.len < 4 || v.len > 8) return 0;
                for (int k = 0; k < v.len; k++) if (!is_digit(v.p[k])) return 0;
                break;
            }
        }
        if (rule->max_len && v.len > rule->max_len) return 0;
        if (rule->min_len > 1 && v.len < rule->min_len) return 0;
    }
    return 1;
}

static int check_required(Parser *ps, Inst *inst) {
    Node *node = &ps->nodes[inst->node];
    for (int i = 0; i < node->nreq_slots; i++)
        if (!inst->seg_counts[node->req_slots[i]]) return bail(ps, "a required segment is missing");
    for (int i = 0; i < node->nreq_children; i++)
        if (!inst->child_counts[node->req_children[i]]) return bail(ps, "a required loop is missing");
    return 0;
}

static int close_to(Parser *ps, int target) {
    while (ps->stack[ps->depth - 1].node != target && ps->depth > 1) {
        Inst *inst = &ps->stack[--ps->depth];
        if (ps->nodes[inst->node].has_required && check_required(ps, inst) < 0) return -1;
    }
    return 0;
}

static uint32_t sid_key(Str sid) {
    if (sid.len < 1 || sid.len > 3) return 0;
    uint32_t k = 0;
    for (int i = 0; i < sid.len; i++) k = k << 8 | (uint8_t)sid.p[i];
    return k;
}

static int codes_from(PyObject *seq, Code **out, int *count);

/* The candidates of (node, sid), asked of Python the first time they are needed. */
static int resolve(Parser *ps, Node *nd, int node, int s) {
    PyObject *list = PyObject_CallFunction(ps->resolve, "ii", node, s);
    int nc = list ? (int)PySequence_Size(list) : -1;
    if (nc < 0) { Py_XDECREF(list); return -2; }
    Cand *cands = calloc((size_t)(nc ? nc : 1), sizeof(Cand));
    if (!cands) { Py_DECREF(list); PyErr_NoMemory(); return -2; }
    for (int k = 0; k < nc; k++) {
        PyObject *c = PySequence_GetItem(list, k), *qvals;
        Cand *cand = &cands[k];
        int ok = c && PyArg_ParseTuple(c, "iiiiiOi", &cand->slot, &cand->opens, &cand->under,
                                       &cand->order, &cand->qpos, &qvals, &cand->check);
        if (ok) ok = codes_from(qvals, &cand->qvals, &cand->nq) == 0;
        if (ok && qvals == Py_None) cand->qvals = NULL;
        if (ok && (cand->slot < 0 || cand->slot >= ps->nslots || cand->under < 0 ||
                   cand->under >= ps->nnodes || cand->opens >= ps->nnodes)) {
            PyErr_SetString(PyExc_ValueError, "a candidate outside the spec tables");
            ok = 0;
        }
        Py_XDECREF(c);
        if (!ok) {
            for (int j = 0; j <= k; j++) free(cands[j].qvals);
            free(cands);
            Py_DECREF(list);
            return -2;
        }
    }
    Py_DECREF(list);
    nd->cands[s] = cands;
    nd->ncands[s] = nc;
    return 0;
}

/* Place one segment (LoopBuilder.feed); the node index of its loop, -1 (bailed) or -2 (a Python error). */
static int feed(Parser *ps, Str sid, const Str *els, int nels) {
    uint32_t key = sid_key(sid);
    int s = -1;
    for (uint32_t h = (key * 2654435761u) >> 24;; h = (h + 1) & 255) {
        if (!ps->sid_slot[h]) break;
        if (ps->sid_key[ps->sid_slot[h] - 1] == key) { s = ps->sid_slot[h] - 1; break; }
    }
    if (!key || s < 0) return bail(ps, "a segment id the guide does not list");
    Inst *inst = &ps->stack[ps->depth - 1];
    int node = inst->node;
    Node *nd = &ps->nodes[node];
    if (nd->ncands[s] < 0 && resolve(ps, nd, node, s) < 0) return -2;
    for (int i = 0; i < nd->ncands[s]; i++) {
        Cand *c = &nd->cands[s][i];
        if (c->qvals) {
            if (nels <= c->qpos) continue;
            Str q = els[c->qpos];
            int found = 0;
            for (int k = 0; k < c->nq && !found; k++)
                found = c->qvals[k].len == q.len && !memcmp(c->qvals[k].v, q.p, (size_t)q.len);
            if (!found) continue;
        }
        if (c->opens >= 0 || c->under != node) {
            if (close_to(ps, c->under) < 0) return -1;
            inst = &ps->stack[ps->depth - 1];
            if (c->opens >= 0) {
                int n = ++inst->child_counts[c->opens];
                int max_repeat = ps->nodes[c->opens].max_repeat;
                if (max_repeat && n > max_repeat) return bail(ps, "a loop repeats too often");
                if (ps->depth == MAXDEPTH) return bail(ps, "loops nested too deep");
                inst = &ps->stack[ps->depth++];
                inst->node = c->opens;
                inst->last_order = 0;
                memset(inst->seg_counts, 0, sizeof(int) * (size_t)ps->nslots);
                memset(inst->child_counts, 0, sizeof(int) * (size_t)ps->nnodes);
            }
        }
        int uses = ++inst->seg_counts[c->slot];
        if (c->order) {
            if (c->order < inst->last_order) return bail(ps, "a segment out of order");
            inst->last_order = c->order;
        }
        int max_use = ps->slots[c->slot].max_use;
        if (uses > 1 && max_use && uses > max_use) return bail(ps, "a segment used too often");
        if (c->check && !check_rules(ps, &ps->slots[c->slot], els, nels))
            return bail(ps, "an element breaks its rule");
        return inst->node;
    }
    return bail(ps, "a segment not expected here");
}

/* ------------------------------------------------------------------ the 835 extractor */

static int close_line(Parser *ps) {
    if (!ps->has_line) return 0;
    ps->has_line = 0;
    Row *line = &ps->line;
    int rc = emit(ps, TB_SVC, line);
    if (rc) return rc;
    if (line->set[L_CHARGE] && line->set[L_PAID] &&
        line->num[L_CHARGE] - line->num[L_PAID] != ps->line_cas)
        return bail(ps, "a service line does not balance");
    return 0;
}

static int close_claim(Parser *ps) {
    int rc = close_line(ps);
    if (rc) return rc;
    if (!ps->has_claim) return 0;
    ps->has_claim = 0;
    Row *claim = &ps->claim;
    rc = emit(ps, TB_CLP, claim);
    if (rc) return rc;
    if (claim->set[C_CHARGE] && claim->set[C_PAID] &&
        claim->num[C_CHARGE] - claim->num[C_PAID] != ps->claim_cas)
        return bail(ps, "a claim does not balance");
    return 0;
}

#define NEED(x) do { if (!(x)) return bail(ps, "a value the engine would report"); } while (0)

static int on_bpr(Parser *ps, const Str *e, int n, Str raw) {
    Row *r = &ps->pay;
    int present;
    row_clear(r);
    row_str(r, P_ID, ps->payment_id, 32);
    row_str(r, P_HANDLING, el(e, n, 1).p, el(e, n, 1).len);
    NEED(money(r, P_TOTAL, el(e, n, 2), NULL, &present));
    row_str(r, P_CREDIT, el(e, n, 3).p, el(e, n, 3).len);
    row_str(r, P_METHOD, el(e, n, 4).p, el(e, n, 4).len);
    row_str(r, P_FORMAT, el(e, n, 5).p, el(e, n, 5).len);
    row_str(r, P_SDFI, el(e, n, 7).p, el(e, n, 7).len);
    Str acct = el(e, n, 9);
    row_str(r, P_SACCT, acct.len > 4 ? acct.p + acct.len - 4 : acct.p, acct.len > 4 ? 4 : acct.len);
    row_str(r, P_PAYERCO, el(e, n, 10).p, el(e, n, 10).len);
    row_str(r, P_RDFI, el(e, n, 13).p, el(e, n, 13).len);
    acct = el(e, n, 15);
    row_str(r, P_RACCT, acct.len > 4 ? acct.p + acct.len - 4 : acct.p, acct.len > 4 ? 4 : acct.len);
    NEED(date_col(r, P_DATE, el(e, n, 16)));
    lineage(ps, r, P_LINEAGE, raw, 0);
    ps->has_pay = 1;
    return 0;
}

#define SETS(row, col, v) do { Str _v = (v); row_str((row), (col), _v.p, _v.len); } while (0)

/* adjustment_rows(): one adjustments row per CAS triplet. ``parent`` keys the rows; the link
 * columns are set from ``links`` (A_ADJ, A_LINE, A_CLAIM, A_CLAIM_LINE; NULL: null). The sum
 * of the amounts goes to ``*total``. 0 on success, else what emit/bail returned. */
static int cas_rows(Parser *ps, const Str *e, int n, Str raw, const char *parent,
                    const char *links[4], int is_line, const char *source, i128 *total) {
    static const int link_cols[4] = {A_ADJ, A_LINE, A_CLAIM, A_CLAIM_LINE};
    Str group = el(e, n, 1);
    int triplets = n / 3 < 6 ? n / 3 : 6, present, rc;
    *total = 0;
    for (int t = 1; t <= triplets; t++) {
        int base = 2 + (t - 1) * 3;
        Str reason = el(e, n, base);
        Row *r = &ps->tmp;
        row_clear(r);
        i128 amount = 0;
        NEED(money(r, A_AMOUNT, el(e, n, base + 1), &amount, &present));
        if (!reason.len && !present) continue;
        char key32[32];
        surrogate(key32, S(parent, 32), S(NULL, 0), ps->index, t, 2);
        row_str(r, A_ID, key32, 32);
        for (int k = 0; k < 4; k++) if (links[k]) row_str(r, link_cols[k], links[k], 32);
        row_str(r, A_LEVEL, is_line ? "line" : "claim", is_line ? 4 : 5);
        row_str(r, A_SOURCE, source, (int)strlen(source));
        SETS(r, A_GROUP, group);
        SETS(r, A_REASON, reason);
        NEED(quantity(r, A_QTY, el(e, n, base + 2)));
        row_num(r, A_TRIPLET, t);
        row_num(r, A_PR, eq(group, "PR"));
        lineage(ps, r, A_LINEAGE, raw, t);
        if ((rc = emit(ps, TB_CAS, r))) return rc;
        if (present) *total += amount;
    }
    return 0;
}

static int on_segment(Parser *ps, Str sid, int node, const Str *e, int n, Str raw) {
    Row *pay = ps->has_pay ? &ps->pay : NULL;
    Row *claim = ps->has_claim ? &ps->claim : NULL;
    Row *line = ps->has_line ? &ps->line : NULL;
    int present, rc;
    uint32_t key = sid_key(sid);
#define K3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
#define K2(a, b) ((uint32_t)(a) << 8 | (uint32_t)(b))
    switch (key) {
        case K3('B', 'P', 'R'):
            return on_bpr(ps, e, n, raw);
        case K3('T', 'R', 'N'):
            if (pay && node == ps->n_root) {
                SETS(pay, P_TRTYPE, el(e, n, 1));
                SETS(pay, P_TRNUM, el(e, n, 2));
                SETS(pay, P_TRORIG, el(e, n, 3));
                SETS(pay, P_TRSUPP, el(e, n, 4));
            }
            return 0;
        case K3('D', 'T', 'M'): {
            Str q = el(e, n, 1), v = el(e, n, 2);
            int32_t day = 0;
            if (v.len) NEED(valid_date(v, &day));
            if (node == ps->n_2110 && line) {
                int cols[2] = {-1, -1};
                if (eq(q, "472")) { cols[0] = L_FROM; cols[1] = L_TO; }
                else if (eq(q, "150")) cols[0] = L_FROM;
                else if (eq(q, "151")) cols[0] = L_TO;
                for (int i = 0; i < 2; i++)
                    if (cols[i] >= 0) { if (v.len) row_num(line, cols[i], day); else line->set[cols[i]] = 0; }
            } else if (node == ps->n_2100 && claim) {
                int col = eq(q, "232") ? C_STMT_FROM : eq(q, "233") ? C_STMT_TO
                        : eq(q, "050") ? C_RECEIVED : -1;
                if (col >= 0) { if (v.len) row_num(claim, col, day); else claim->set[col] = 0; }
            } else if (node == ps->n_root && pay && eq(q, "405")) {
                if (v.len) row_num(pay, P_PROD, day); else pay->set[P_PROD] = 0;
            }
            return 0;
        }
        case K2('N', '1'):
            if (!pay) return 0;
            if (node == ps->n_1000a) {
                SETS(pay, P_PAYER_NAME, el(e, n, 2));
                if (!pay->set[P_PAYER_ID]) SETS(pay, P_PAYER_ID, el(e, n, 4));
            } else if (node == ps->n_1000b) {
                SETS(pay, P_PAYEE_NAME, el(e, n, 2));
                SETS(pay, P_PAYEE_Q, el(e, n, 3));
                SETS(pay, P_PAYEE_ID, el(e, n, 4));
            }
            return 0;
        case K3('R', 'E', 'F'): {
            Str q = el(e, n, 1), v = el(e, n, 2);
            if (node == ps->n_2110 && line && eq(q, "6R")) {
                SETS(line, L_LICN, v);
            } else if (node == ps->n_2100 && claim) {
                int col = eq(q, "F8") ? C_ORIGREF : eq(q, "1L") ? C_GROUP : eq(q, "EA") ? C_MRN : -1;
                if (col >= 0) SETS(claim, col, v);
            } else if (pay) {
                if (node == ps->n_1000a && eq(q, "2U")) SETS(pay, P_PAYER_ID, v);
                else if (node == ps->n_1000b && eq(q, "TJ")) SETS(pay, P_PAYEE_TIN, v);
            }
            return 0;
        }
        case K3('C', 'L', 'P'): {
            if ((rc = close_claim(ps))) return rc;
            Row *r = &ps->claim;
            row_clear(r);
            surrogate(ps->claim_id, S(ps->payment_id, 32), S(NULL, 0), ps->index, 0, 1);
            row_str(r, C_ID, ps->claim_id, 32);
            row_str(r, C_PAYMENT, ps->payment_id, 32);
            SETS(r, C_PCN, el(e, n, 1));
            Str status = el(e, n, 2), freq = el(e, n, 9);
            SETS(r, C_STATUS, status);
            i128 paid = 0;
            NEED(money(r, C_CHARGE, el(e, n, 3), NULL, &present));
            NEED(money(r, C_PAID, el(e, n, 4), &paid, &present));
            if (present) ps->paid_total += paid;
            NEED(money(r, C_PR, el(e, n, 5), NULL, &present));
            SETS(r, C_FILING, el(e, n, 6));
            SETS(r, C_PCCN, el(e, n, 7));
            SETS(r, C_FACILITY, el(e, n, 8));
            SETS(r, C_FREQ, freq);
            SETS(r, C_DRG, el(e, n, 11));
            NEED(quantity(r, C_DRGW, el(e, n, 12)));
            NEED(quantity(r, C_DISCH, el(e, n, 13)));
            row_str(r, C_RECORD, eq(status, "22") ? "reversal" : eq(freq, "7") ? "correction" : "original",
                    eq(status, "22") ? 8 : eq(freq, "7") ? 10 : 8);
            row_num(r, C_DENIED, eq(status, "4"));
            lineage(ps, r, C_LINEAGE, raw, 0);
            ps->has_claim = 1;
            ps->claim_cas = 0;
            return 0;
        }
        case K3('N', 'M', '1'): {
            if (!claim || node != ps->n_2100) return 0;
            Str entity = el(e, n, 1);
            if (eq(entity, "TT")) SETS(claim, C_CROSSOVER, el(e, n, 3));
            else if (eq(entity, "QC")) SETS(claim, C_PATIENT, el(e, n, 9));
            else if (eq(entity, "IL")) SETS(claim, C_INSURED, el(e, n, 9));
            else if (eq(entity, "74")) SETS(claim, C_CORRECTED, el(e, n, 9));
            else if (eq(entity, "82")) SETS(claim, C_RENDERING, el(e, n, 9));
            return 0;
        }
        case K3('A', 'M', 'T'): {
            Str q = el(e, n, 1);
            if (node == ps->n_2110 && line && eq(q, "B6")) {
                NEED(money(line, L_ALLOWED, el(e, n, 2), NULL, &present));
            } else if (node == ps->n_2100 && claim) {
                int col = eq(q, "AU") ? C_COVERAGE : eq(q, "I") ? C_INTEREST : eq(q, "D8") ? C_DISCOUNT : -1;
                if (col >= 0) NEED(money(claim, col, el(e, n, 2), NULL, &present));
            }
            return 0;
        }
        case K3('C', 'A', 'S'): {
            if (!claim) return 0;
            Row *ln = node == ps->n_2110 ? line : NULL;
            const char *links[4] = {ps->claim_id, ln ? ps->line_id : NULL, NULL, NULL};
            i128 total;
            if ((rc = cas_rows(ps, e, n, raw, ln ? ps->line_id : ps->claim_id, links, ln != NULL,
                               "835", &total)))
                return rc;
            ps->claim_cas += total;
            if (ln) ps->line_cas += total;
            return 0;
        }
        case K3('M', 'I', 'A'): case K3('M', 'O', 'A'): case K2('L', 'Q'): {
            static const int mia[] = {5, 20, 21, 22, 23}, moa[] = {3, 4, 5, 6, 7}, lq[] = {2};
            const int *positions;
            int count;
            const char *source;
            if (key == K2('L', 'Q')) {
                if (node != ps->n_2110 || !eq(el(e, n, 1), "HE")) return 0;
                positions = lq; count = 1; source = "LQ";
            } else if (key == K3('M', 'I', 'A')) {
                positions = mia; count = 5; source = "MIA";
            } else {
                positions = moa; count = 5; source = "MOA";
            }
            for (int i = 0; i < count; i++) {
                Str code = el(e, n, positions[i]);
                if (!claim || !code.len) continue;
                int is_line = source[0] == 'L';
                Row *r = &ps->tmp;
                row_clear(r);
                char key32[32];
                surrogate(key32, S(ps->claim_id, 32), S(NULL, 0), ps->index, positions[i], 2);
                row_str(r, R_ID, key32, 32);
                row_str(r, R_ADJ, ps->claim_id, 32);
                if (is_line && line) row_str(r, R_LINE, ps->line_id, 32);
                row_str(r, R_LEVEL, is_line ? "line" : "claim", is_line ? 4 : 5);
                row_str(r, R_SOURCE, source, (int)strlen(source));
                SETS(r, R_CODE, code);
                lineage(ps, r, R_LINEAGE, raw, positions[i]);
                if ((rc = emit(ps, TB_RMK, r))) return rc;
            }
            return 0;
        }
        case K3('S', 'V', 'C'): {
            if ((rc = close_line(ps))) return rc;
            if (!claim) return 0;
            Row *r = &ps->line;
            row_clear(r);
            surrogate(ps->line_id, S(ps->claim_id, 32), S(NULL, 0), ps->index, 0, 1);
            row_str(r, L_ID, ps->line_id, 32);
            row_str(r, L_ADJ, ps->claim_id, 32);
            Str proc = el(e, n, 1), orig = el(e, n, 6);
            char cs = ps->cs;
            SETS(r, L_PQUAL, part(proc, cs, 1));
            SETS(r, L_PROC, part(proc, cs, 2));
            SETS(r, L_MOD1, part(proc, cs, 3));
            SETS(r, L_MOD2, part(proc, cs, 4));
            SETS(r, L_MOD3, part(proc, cs, 5));
            SETS(r, L_MOD4, part(proc, cs, 6));
            NEED(money(r, L_CHARGE, el(e, n, 2), NULL, &present));
            NEED(money(r, L_PAID, el(e, n, 3), NULL, &present));
            SETS(r, L_REV, el(e, n, 4));
            NEED(quantity(r, L_UNITS, el(e, n, 5)));
            SETS(r, L_OPQUAL, part(orig, cs, 1));
            SETS(r, L_OPROC, part(orig, cs, 2));
            SETS(r, L_OMOD1, part(orig, cs, 3));
            NEED(quantity(r, L_OUNITS, el(e, n, 7)));
            lineage(ps, r, L_LINEAGE, raw, 0);
            ps->has_line = 1;
            ps->line_cas = 0;
            return 0;
        }
        case K3('P', 'L', 'B'): {
            if ((rc = close_claim(ps))) return rc;
            Str provider = el(e, n, 1), period = el(e, n, 2);
            int32_t day = 0;
            if (period.len) NEED(valid_date(period, &day));
            for (int pair = 1; pair <= 6; pair++) {
                int pos = 3 + (pair - 1) * 2;
                Str ident = el(e, n, pos);
                Row *r = &ps->tmp;
                row_clear(r);
                i128 amount = 0;
                NEED(money(r, B_AMOUNT, el(e, n, pos + 1), &amount, &present));
                if (!ident.len && !present) continue;
                char key32[32];
                surrogate(key32, S(ps->payment_id, 32), S(NULL, 0), ps->index, pair, 2);
                row_str(r, B_ID, key32, 32);
                row_str(r, B_PAYMENT, ps->payment_id, 32);
                SETS(r, B_PROVIDER, provider);
                if (period.len) row_num(r, B_PERIOD, day);
                row_num(r, B_PAIR, pair);
                SETS(r, B_REASON, part(ident, ps->cs, 1));
                SETS(r, B_REF, part(ident, ps->cs, 2));
                lineage(ps, r, B_LINEAGE, raw, pair);
                if ((rc = emit(ps, TB_PLB, r))) return rc;
                if (present) ps->plb_total += amount;
            }
            return 0;
        }
        default:
            return 0;
    }
}

static int finish_extractor(Parser *ps) {
    int rc = close_claim(ps);
    if (rc) return rc;
    if (!ps->has_pay) return 0;
    ps->has_pay = 0;
    if ((rc = emit(ps, TB_PAY, &ps->pay))) return rc;
    if (ps->pay.set[P_TOTAL] && ps->pay.num[P_TOTAL] != ps->paid_total - ps->plb_total)
        return bail(ps, "the payment does not balance");
    return 0;
}

/* ------------------------------------------------------------------ the 837P extractor */

/* surrogate_key(*parts) for string parts: sha256 of the parts joined by '|', 32 hex. */
static void surrogate_parts(char out[32], const Str *parts, int n) {
    Sha s;
    sha_init(&s);
    for (int i = 0; i < n; i++) {
        if (i) sha_update(&s, "|", 1);
        if (parts[i].len) sha_update(&s, parts[i].p, (size_t)parts[i].len);
    }
    sha_hex(&s, out, 32);
}

/* rules.npi_is_valid: ten ASCII digits whose last is the Luhn check digit over 80840 + NPI. */
static int npi_valid(Str npi) {
    if (npi.len != 10) return 0;
    for (int i = 0; i < 10; i++) if (!is_digit(npi.p[i])) return 0;
    int total = 24;
    for (int i = 0; i < 9; i++) {
        int digit = npi.p[8 - i] - '0';
        if (i % 2 == 0) { digit *= 2; if (digit > 9) digit -= 9; }
        total += digit;
    }
    return (10 - total % 10) % 10 == npi.p[9] - '0';
}

static Str col_str(const Row *r, int c) {
    Str out = {NULL, 0};
    if (r->set[c]) { out.p = r->s[c]; out.len = r->len[c]; }
    return out;
}

/* Copy column ``sc`` of ``src`` into column ``dc`` of ``dst`` (string or number, or null). */
static void copy_to(Row *dst, int dc, const Row *src, int sc, int is_str) {
    if (!src->set[sc]) { dst->set[dc] = 0; return; }
    if (is_str) row_str(dst, dc, src->s[sc], src->len[sc]);
    else row_num(dst, dc, src->num[sc]);
}

/* Copy column ``c`` of ``src`` into the same column of ``dst`` (rows of one layout). */
static void copy_col(Row *dst, const Row *src, int c, int is_str) { copy_to(dst, c, src, c, is_str); }

/* date_range(qualifier, value) into columns ``c_from`` and ``c_to`` (-1: not kept). */
static int date_range(Row *r, int c_from, int c_to, Str fmt, Str value) {
    Str first = value, last = {NULL, 0};
    if (!value.len) {
        if (c_from >= 0) r->set[c_from] = 0;
        if (c_to >= 0) r->set[c_to] = 0;
        return 1;
    }
    int dash = -1;
    for (int i = 0; i < value.len && dash < 0; i++) if (value.p[i] == '-') dash = i;
    if (eq(fmt, "RD8") || (!fmt.len && dash >= 0)) {
        if (dash >= 0) {
            first = S(value.p, dash);
            last = S(value.p + dash + 1, value.len - dash - 1);
        }
        if (!last.len) last = first;
    } else if (eq(fmt, "D8") || !fmt.len) {
        last = value;
    } else if (eq(fmt, "DT")) {
        first = S(value.p, value.len < 8 ? value.len : 8);
        last = first;
    } else {
        if (c_from >= 0) r->set[c_from] = 0;
        if (c_to >= 0) r->set[c_to] = 0;
        return 1;
    }
    Row scratch;
    scratch.set[0] = scratch.set[1] = 0;
    if (!date_col(&scratch, 0, first) || !date_col(&scratch, 1, last)) return 0;
    if (c_from >= 0) { if (scratch.set[0]) row_num(r, c_from, scratch.num[0]); else r->set[c_from] = 0; }
    if (c_to >= 0) { if (scratch.set[1]) row_num(r, c_to, scratch.num[1]); else r->set[c_to] = 0; }
    return 1;
}

static Row *grow_rows(Row **rows, int *count, int *cap) {
    if (*count == *cap) {
        int next = *cap ? *cap * 2 : 8;
        Row *bigger = realloc(*rows, sizeof(Row) * (size_t)next);
        if (!bigger) return NULL;
        *rows = bigger;
        *cap = next;
    }
    Row *r = &(*rows)[(*count)++];
    row_clear(r);
    return r;
}

static int is_loop(Parser *ps, int node, const char *id) { return !strcmp(ps->nodes[node].loop_id, id); }
static int loop_starts(Parser *ps, int node, const char *prefix) {
    return !strncmp(ps->nodes[node].loop_id, prefix, strlen(prefix));
}

static int close_claim837(Parser *ps) {
    if (!ps->has_claim) return 0;
    ps->has_claim = 0;
    ps->line_open = 0;
    Row *claim = &ps->claim;
    int have_from = 0, have_to = 0;
    i128 first = 0, last = 0, line_sum = 0;
    int all_charges = 1;
    for (int i = 0; i < ps->nlines; i++) {
        Row *line = &ps->lines[i];
        if (!line->set[N_POS]) copy_to(line, N_POS, claim, H_POS, 1);
        if (!line->set[N_RENDERING]) copy_to(line, N_RENDERING, claim, H_RENDERING, 1);
        if (line->set[N_FROM] && (!have_from || line->num[N_FROM] < first)) { first = line->num[N_FROM]; have_from = 1; }
        if (line->set[N_TO] && (!have_to || line->num[N_TO] > last)) { last = line->num[N_TO]; have_to = 1; }
        if (line->set[N_CHARGE]) line_sum += line->num[N_CHARGE];
        else all_charges = 0;
    }
    if (!claim->set[H_STMT_FROM]) {
        if (have_from) row_num(claim, H_STMT_FROM, first); else claim->set[H_STMT_FROM] = 0;
        if (have_to) row_num(claim, H_STMT_TO, last); else claim->set[H_STMT_TO] = 0;
    }
    if (claim->set[H_CHARGE] && all_charges && line_sum != claim->num[H_CHARGE])
        return bail(ps, "a claim's charge is not the sum of its lines");
    int rc = emit(ps, TB_HDR, claim);
    for (int i = 0; !rc && i < ps->nlines; i++) rc = emit(ps, TB_LINE, &ps->lines[i]);
    for (int i = 0; !rc && i < ps->ndx; i++) rc = emit(ps, TB_DX, &ps->dx[i]);
    for (int i = 0; !rc && i < ps->npx; i++) rc = emit(ps, TB_PX, &ps->px[i]);
    ps->nlines = ps->ndx = ps->npx = 0;
    return rc;
}

static int on_segment837(Parser *ps, Str sid, int node, const Str *e, int n, Str raw) {
    Row *claim = ps->has_claim ? &ps->claim : NULL;
    Row *line = ps->line_open ? &ps->lines[ps->nlines - 1] : NULL;
    int present, rc;
    uint32_t key = sid_key(sid);
    char cs = ps->cs;
    switch (key) {
        case K3('B', 'H', 'T'):
            row_clear(&ps->bht);
            SETS(&ps->bht, H_BATCH, el(e, n, 3));
            NEED(date_col(&ps->bht, H_SUBMISSION, el(e, n, 4)));
            return 0;
        case K2('H', 'L'): {
            if ((rc = close_claim837(ps))) return rc;
            Str level = el(e, n, 3);
            if (eq(level, "20")) { row_clear(&ps->bill); row_clear(&ps->sub); row_clear(&ps->pat); }
            else if (eq(level, "22")) { row_clear(&ps->sub); row_clear(&ps->pat); }
            else if (eq(level, "23")) row_clear(&ps->pat);
            return 0;
        }
        case K3('P', 'R', 'V'):
            if (is_loop(ps, node, "2000A")) SETS(&ps->bill, H_TAXONOMY, el(e, n, 3));
            return 0;
        case K3('N', 'M', '1'): {
            Str entity = el(e, n, 1), ident = el(e, n, 9);
            if (ident.len && eq(el(e, n, 8), "XX") && !npi_valid(ident))
                return bail(ps, "an NPI whose check digit is wrong (the engine warns)");
            if (is_loop(ps, node, "2010AA")) SETS(&ps->bill, H_BILLING_NPI, ident);
            else if (is_loop(ps, node, "2010BA")) SETS(&ps->sub, H_MEMBER, ident);
            else if (is_loop(ps, node, "2010BB")) {
                SETS(&ps->sub, H_PAYER_ID, ident);
                SETS(&ps->sub, H_PAYER_NAME, el(e, n, 3));
            } else if (loop_starts(ps, node, "2310") && claim) {
                int col = eq(entity, "82") ? H_RENDERING : eq(entity, "71") ? H_ATTENDING
                        : eq(entity, "72") ? H_OPERATING : eq(entity, "DN") ? H_REFERRING
                        : eq(entity, "77") ? H_FACILITY : -1;
                if (col >= 0) SETS(claim, col, ident);
            } else if (loop_starts(ps, node, "2420") && line && eq(entity, "82")) {
                SETS(line, N_RENDERING, ident);
            }
            return 0;
        }
        case K3('R', 'E', 'F'): {
            Str q = el(e, n, 1), v = el(e, n, 2);
            if (is_loop(ps, node, "2010AA") && eq(q, "EI")) SETS(&ps->bill, H_BILLING_TIN, v);
            else if (is_loop(ps, node, "2300") && claim) {
                int col = eq(q, "G1") ? H_PRIOR_AUTH : eq(q, "9F") ? H_REFERRAL
                        : eq(q, "F8") ? H_ORIG_PCCN : eq(q, "D9") ? H_TRACE
                        : eq(q, "EA") ? H_MRN : -1;
                if (col >= 0) SETS(claim, col, v);
            } else if (is_loop(ps, node, "2400") && line && eq(q, "6R")) {
                SETS(line, N_LICN, v);
            }
            return 0;
        }
        case K3('S', 'B', 'R'):
            if (is_loop(ps, node, "2000B")) {
                SETS(&ps->sub, H_PAYER_SEQ, el(e, n, 1));
                SETS(&ps->sub, H_RELATIONSHIP, el(e, n, 2));
                SETS(&ps->sub, H_GROUP, el(e, n, 3));
                SETS(&ps->sub, H_FILING, el(e, n, 9));
            }
            return 0;
        case K3('D', 'M', 'G'): {
            Row *target = is_loop(ps, node, "2010BA") ? &ps->sub : is_loop(ps, node, "2010CA") ? &ps->pat : NULL;
            if (target) {
                NEED(date_col(target, H_DOB, el(e, n, 2)));
                SETS(target, H_GENDER, el(e, n, 3));
            }
            return 0;
        }
        case K3('C', 'L', 'M'): {
            if ((rc = close_claim837(ps))) return rc;
            if (ps->bht.overflow || ps->bill.overflow || ps->sub.overflow || ps->pat.overflow)
                return bail(ps, "a value too long for the fast path");
            Row *r = &ps->claim;
            row_clear(r);
            Str facility = el(e, n, 5);
            Str code = part(facility, cs, 1), qualifier = part(facility, cs, 2), freq = part(facility, cs, 3);
            Str pcn = el(e, n, 1);
            char index[24];
            Str parts[7] = {S(ps->data_source, ps->data_source_len), S(ps->file_id, ps->file_id_len),
                            col_str(&ps->bill, H_BILLING_NPI), pcn, freq,
                            S(ps->st02, ps->st02_len), S(index, fmt_ll(index, ps->index))};
            surrogate_parts(ps->hdr_id, parts, 7);
            row_str(r, H_ID, ps->hdr_id, 32);
            SETS(r, H_PCN, pcn);
            row_str(r, H_TYPE, "professional", 12);
            NEED(money(r, H_CHARGE, el(e, n, 2), NULL, &present));
            if (eq(qualifier, "B")) SETS(r, H_POS, code);
            if (eq(qualifier, "A")) {
                char bill_type[128];
                if (code.len + freq.len > (int)sizeof bill_type) return bail(ps, "a long bill type");
                memcpy(bill_type, code.p ? code.p : "", (size_t)code.len);
                memcpy(bill_type + code.len, freq.p ? freq.p : "", (size_t)freq.len);
                row_str(r, H_BILL_TYPE, bill_type, code.len + freq.len);
            }
            SETS(r, H_FREQ, freq);
            SETS(r, H_ASSIGN, el(e, n, 7));
            SETS(r, H_BENEFITS, el(e, n, 8));
            SETS(r, H_RELEASE, el(e, n, 9));
            Str related = el(e, n, 11);
            if (related.len) {
                char joined[256];
                if (related.len > (int)sizeof joined) return bail(ps, "a long related-causes code");
                for (int i = 0; i < related.len; i++) joined[i] = related.p[i] == cs ? ':' : related.p[i];
                row_str(r, H_RELATED, joined, related.len);
            }
            SETS(r, H_DELAY, el(e, n, 20));
            copy_col(r, &ps->bill, H_BILLING_NPI, 1);
            copy_col(r, &ps->bill, H_BILLING_TIN, 1);
            copy_col(r, &ps->bill, H_TAXONOMY, 1);
            static const int party[] = {H_PAYER_SEQ, H_RELATIONSHIP, H_GROUP, H_FILING, H_MEMBER,
                                        H_DOB, H_GENDER, H_PAYER_ID, H_PAYER_NAME};
            const Row *sources[2] = {&ps->sub, &ps->pat};
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < 9; i++)
                    if (sources[k]->set[party[i]]) copy_col(r, sources[k], party[i], party[i] != H_DOB);
            copy_col(r, &ps->bht, H_SUBMISSION, 0);
            copy_col(r, &ps->bht, H_BATCH, 1);
            lineage(ps, r, H_LINEAGE, raw, 0);
            ps->has_claim = 1;
            ps->nlines = ps->ndx = ps->npx = 0;
            ps->line_open = 0;
            return 0;
        }
        case K3('D', 'T', 'P'): {
            Str q = el(e, n, 1), fmt = el(e, n, 2), v = el(e, n, 3);
            if (is_loop(ps, node, "2400") && line && eq(q, "472")) {
                NEED(date_range(line, N_FROM, N_TO, fmt, v));
            } else if (is_loop(ps, node, "2300") && claim) {
                if (eq(q, "434") || eq(q, "472")) {
                    NEED(date_range(claim, H_STMT_FROM, H_STMT_TO, fmt, v));
                } else if (eq(q, "435")) {
                    NEED(date_range(claim, H_ADMISSION, -1, fmt, S(v.p, v.len < 8 ? v.len : 8)));
                } else if (eq(q, "096")) {
                    SETS(claim, H_DISCHARGE_HOUR, v);
                }
            }
            return 0;
        }
        case K3('C', 'L', '1'):
            if (claim) {
                SETS(claim, H_ADM_TYPE, el(e, n, 1));
                SETS(claim, H_ADM_SOURCE, el(e, n, 2));
                SETS(claim, H_DISCHARGE_STATUS, el(e, n, 3));
            }
            return 0;
        case K2('H', 'I'): {
            if (!claim || !is_loop(ps, node, "2300")) return 0;
            for (int pos = 1; pos < n; pos++) {
                Str value = e[pos];
                Str qualifier = part(value, cs, 1), code = part(value, cs, 2);
                if (!value.len) qualifier = code = S(NULL, 0);
                if (eq(qualifier, "DR")) { SETS(claim, H_DRG, code); continue; }
                static const char *dxq[] = {"ABK", "ABF", "ABJ", "APR", "ABN", "BK", "BF", "BJ", "PR", "BN"};
                static const char *pxq[] = {"BBR", "BBQ", "BR", "BQ"};
                int is_dx = 0, is_px = 0;
                for (int i = 0; i < 10; i++) is_dx |= eq(qualifier, dxq[i]);
                for (int i = 0; i < 4; i++) is_px |= eq(qualifier, pxq[i]);
                if ((!is_dx && !is_px) || !code.len) continue;
                char clean[64];
                int len = 0;
                if (code.len > (int)sizeof clean) return bail(ps, "a long diagnosis code");
                for (int i = 0; i < code.len; i++) if (code.p[i] != '.') clean[len++] = code.p[i];
                if (!len) return bail(ps, "a code of dots only");
                Row *r = is_dx ? grow_rows(&ps->dx, &ps->ndx, &ps->cap_dx)
                               : grow_rows(&ps->px, &ps->npx, &ps->cap_px);
                if (!r) { PyErr_NoMemory(); return -2; }
                int sequence = is_dx ? ps->ndx : ps->npx;
                char seq[24], id[32];
                Str seq_s = S(seq, fmt_ll(seq, sequence));
                if (is_dx) {
                    Str kp[2] = {S(ps->hdr_id, 32), seq_s};
                    surrogate_parts(id, kp, 2);
                } else {
                    Str kp[3] = {S(ps->hdr_id, 32), L("px"), seq_s};
                    surrogate_parts(id, kp, 3);
                }
                row_str(r, X_ID, id, 32);
                row_str(r, X_CLAIM, ps->hdr_id, 32);
                row_num(r, X_SEQ, sequence);
                SETS(r, X_QUAL, qualifier);
                row_str(r, X_CODE, clean, len);
                if (is_dx) {
                    SETS(r, X_EXTRA, part(value, cs, 9));
                    row_num(r, X_PRINCIPAL, eq(qualifier, "ABK") || eq(qualifier, "BK"));
                } else {
                    Str when = eq(part(value, cs, 3), "D8") ? part(value, cs, 4) : S(NULL, 0);
                    NEED(date_col(r, X_EXTRA, when));
                    row_num(r, X_PRINCIPAL, eq(qualifier, "BBR") || eq(qualifier, "BR"));
                }
                lineage(ps, r, X_LINEAGE, raw, pos);
            }
            return 0;
        }
        case K3('A', 'M', 'T'):
            if (is_loop(ps, node, "2300") && claim && eq(el(e, n, 1), "F5"))
                NEED(money(claim, H_PATIENT_PAID, el(e, n, 2), NULL, &present));
            return 0;
        case K2('L', 'X'): {
            if (!claim) return 0;
            Row *r = grow_rows(&ps->lines, &ps->nlines, &ps->cap_lines);
            if (!r) { PyErr_NoMemory(); return -2; }
            Str number = el(e, n, 1);
            char id[32];
            Str kp[2] = {S(ps->hdr_id, 32), number};
            surrogate_parts(id, kp, 2);
            row_str(r, N_ID, id, 32);
            row_str(r, N_CLAIM, ps->hdr_id, 32);
            if (number.len && number.len <= 18) {
                int digits = 1;
                long long value = 0;
                for (int i = 0; i < number.len; i++) {
                    if (!is_digit(number.p[i])) { digits = 0; break; }
                    value = value * 10 + (number.p[i] - '0');
                }
                if (digits) row_num(r, N_NUMBER, value);
            } else if (number.len) {
                return bail(ps, "a long line number");
            }
            lineage(ps, r, N_LINEAGE, raw, 0);
            ps->line_open = 1;
            return 0;
        }
        case K3('S', 'V', '1'): {
            if (!line) return 0;
            Str proc = el(e, n, 1);
            SETS(line, N_PQUAL, part(proc, cs, 1));
            SETS(line, N_PROC, part(proc, cs, 2));
            SETS(line, N_MOD1, part(proc, cs, 3));
            SETS(line, N_MOD2, part(proc, cs, 4));
            SETS(line, N_MOD3, part(proc, cs, 5));
            SETS(line, N_MOD4, part(proc, cs, 6));
            NEED(money(line, N_CHARGE, el(e, n, 2), NULL, &present));
            SETS(line, N_BASIS, el(e, n, 3));
            NEED(quantity(line, N_UNITS, el(e, n, 4)));
            SETS(line, N_POS, el(e, n, 5));
            Str pointers = el(e, n, 7);
            for (int i = 1; i <= 4; i++) {
                Str v = part(pointers, cs, i);
                int digits = v.len > 0 && v.len <= 18;
                long long value = 0;
                for (int k = 0; digits && k < v.len; k++) {
                    if (!is_digit(v.p[k])) digits = 0;
                    else value = value * 10 + (v.p[k] - '0');
                }
                if (v.len > 18) return bail(ps, "a long diagnosis pointer");
                if (digits) row_num(line, N_PTR1 + i - 1, value); else line->set[N_PTR1 + i - 1] = 0;
            }
            SETS(line, N_EMERGENCY, el(e, n, 9));
            return 0;
        }
        case K3('L', 'I', 'N'):
            if (line && eq(el(e, n, 2), "N4")) SETS(line, N_NDC, el(e, n, 3));
            return 0;
        case K3('C', 'T', 'P'):
            if (line && is_loop(ps, node, "2410")) {
                NEED(quantity(line, N_DRUG_QTY, el(e, n, 4)));
                SETS(line, N_DRUG_UNIT, part(el(e, n, 5), cs, 1));
            }
            return 0;
        case K3('C', 'A', 'S'): {
            int at_line = is_loop(ps, node, "2430");
            if (!claim || !(at_line || is_loop(ps, node, "2320"))) return 0;
            Row *ln = at_line ? line : NULL;
            char line_id[32];
            if (ln) memcpy(line_id, ln->s[N_ID], 32);
            const char *links[4] = {NULL, NULL, ps->hdr_id, ln ? line_id : NULL};
            i128 total;
            return cas_rows(ps, e, n, raw, ln ? line_id : ps->hdr_id, links, ln != NULL,
                            "837_cob", &total);
        }
        case K3('S', 'V', '2'): case K3('S', 'V', '3'): case K3('T', 'O', 'O'):
            return bail(ps, "an institutional or dental segment in an 837P");
        default:
            return 0;
    }
}

/* ------------------------------------------------------------------ envelopes */

/* Keep an envelope value; 0 when it does not fit (the caller gives up: never truncate). */
static int copy_field(char *dst, size_t cap, Str s) {
    if ((size_t)s.len >= cap) return 0;
    if (s.len) memcpy(dst, s.p, (size_t)s.len);
    dst[s.len] = 0;
    return 1;
}

static int on_isa(Parser *ps, const Str *e, int n, int fresh) {
    if (!fresh || ps->isa_open) return bail(ps, "an ISA inside an interchange");
    if (n != 17) return bail(ps, "an ISA without 16 elements");
    Str isa13 = strip(e[13]);
    if (!isa13.len || isa13.len >= (int)sizeof ps->isa13) return bail(ps, "ISA13 is not a control number");
    for (int i = 0; i < isa13.len; i++) if (!is_digit(isa13.p[i])) return bail(ps, "ISA13 is not digits");
    memcpy(ps->isa13, isa13.p, (size_t)isa13.len);
    ps->isa13_len = isa13.len;
    static const int fields[5] = {5, 6, 7, 8, 15};
    for (int i = 0; i < 5; i++)
        if (!copy_field(ps->isa_fields[i], sizeof ps->isa_fields[i], strip(e[fields[i]])))
            return bail(ps, "a long ISA value");
    ps->isa_open = 1;
    ps->isa_groups = 0;
    return 0;
}

static int on_gs(Parser *ps, const Str *e, int n) {
    if (!ps->isa_open || ps->group_open || ps->txn_open) return bail(ps, "a GS out of place");
    if (n <= 6 || e[6].len >= (int)sizeof ps->gs06) return bail(ps, "a GS without GS06");
    memcpy(ps->gs06, e[6].p, (size_t)e[6].len);
    ps->gs06_len = e[6].len;
    ps->isa_groups++;
    static const int fields[4] = {1, 2, 3, 8};
    for (int i = 0; i < 4; i++)
        if (!copy_field(ps->group_fields[i], sizeof ps->group_fields[i], strip(el(e, n, fields[i]))))
            return bail(ps, "a long GS value");
    ps->group_first = ps->index;
    ps->tx_count = 0;
    ps->group_open = 1;
    return 0;
}

static int on_st(Parser *ps, const Str *e, int n) {
    if (!ps->group_open || ps->txn_open) return bail(ps, "an ST out of place");
    Str st01 = el(e, n, 1), st02 = el(e, n, 2), st03 = strip(el(e, n, 3));
    const char *gs08 = ps->group_fields[3];
    if (!eq(st01, ps->kind == KIND_835 ? "835" : "837"))
        return bail(ps, "a transaction set other than the file's first kind");
    if (!st02.len || st02.len >= (int)sizeof ps->st02) return bail(ps, "ST02 is empty");
    if (st03.len && gs08[0] && !eq(st03, gs08)) return bail(ps, "GS08 and ST03 differ");
    Str guide = st03.len ? st03 : L(gs08);
    int known = 0;
    for (int i = 0; i < ps->nguides && !known; i++) known = eq(guide, ps->guides[i]);
    if (!known) return bail(ps, "a guide outside the fast path");
    memcpy(ps->st01, st01.p, (size_t)st01.len);
    ps->st01[st01.len] = 0;
    memcpy(ps->st02, st02.p, (size_t)st02.len);
    ps->st02_len = st02.len;
    if (!copy_field(ps->guide, sizeof ps->guide, guide)) return bail(ps, "a long guide id");
    ps->tx_count++;
    ps->position = 1;
    ps->st_first = ps->index;
    ps->txn_open = 1;
    /* a fresh loop builder and extractor */
    ps->depth = 1;
    Inst *root = &ps->stack[0];
    root->node = ps->n_root;
    root->last_order = 0;
    memset(root->seg_counts, 0, sizeof root->seg_counts);
    memset(root->child_counts, 0, sizeof root->child_counts);
    Sha s;
    char hex[32];
    sha_init(&s);
    sha_update(&s, ps->file_id, (size_t)ps->file_id_len);
    sha_update(&s, "|", 1);
    sha_update(&s, ps->isa13, (size_t)ps->isa13_len);
    sha_update(&s, "|", 1);
    sha_update(&s, ps->gs06, (size_t)ps->gs06_len);
    sha_update(&s, "|", 1);
    sha_update(&s, ps->st02, (size_t)ps->st02_len);
    sha_hex(&s, hex, 32);
    memcpy(ps->payment_id, hex, 32);
    ps->has_pay = ps->has_claim = ps->has_line = 0;
    ps->claim_cas = ps->line_cas = ps->paid_total = ps->plb_total = 0;
    row_clear(&ps->bht);
    row_clear(&ps->bill);
    row_clear(&ps->sub);
    row_clear(&ps->pat);
    ps->nlines = ps->ndx = ps->npx = ps->line_open = 0;
    return 0;
}

static int on_se(Parser *ps, const Str *e, int n) {
    if (!ps->txn_open) return bail(ps, "an SE without ST");
    ps->position++;
    char count[24];
    fmt_ll(count, ps->position);
    if (!lstrip0_eq(el(e, n, 1), L(count))) return bail(ps, "SE01 is not the segment count");
    Str control = el(e, n, 2);
    if (control.len != ps->st02_len || memcmp(control.p, ps->st02, (size_t)control.len))
        return bail(ps, "SE02 does not match ST02");
    if (close_to(ps, ps->n_root) < 0 || check_required(ps, &ps->stack[0]) < 0) return -1;
    int rc = ps->kind == KIND_835 ? finish_extractor(ps) : close_claim837(ps);
    if (rc) return rc;
    PyObject *txn = Py_BuildValue("(s#s#s#ssLLn)", ps->isa13, (Py_ssize_t)ps->isa13_len, ps->gs06,
                                  (Py_ssize_t)ps->gs06_len, ps->st02, (Py_ssize_t)ps->st02_len,
                                  ps->st01, ps->guide, ps->st_first, ps->index,
                                  PyList_GET_SIZE(ps->groups));
    if (!txn || PyList_Append(ps->txns, txn) < 0) { Py_XDECREF(txn); return -2; }
    Py_DECREF(txn);
    ps->txn_open = 0;
    ps->ntxn_total++;
    return 0;
}

static int on_ge(Parser *ps, const Str *e, int n) {
    if (!ps->group_open || ps->txn_open) return bail(ps, "a GE out of place");
    char count[24];
    fmt_ll(count, ps->tx_count);
    if (!lstrip0_eq(el(e, n, 1), L(count))) return bail(ps, "GE01 is not the set count");
    Str control = el(e, n, 2);
    if (control.len != ps->gs06_len || memcmp(control.p, ps->gs06, (size_t)control.len))
        return bail(ps, "GE02 does not match GS06");
    PyObject *group = Py_BuildValue(
        "(s#s#sssssssssiLL)", ps->isa13, (Py_ssize_t)ps->isa13_len, ps->gs06,
        (Py_ssize_t)ps->gs06_len, ps->group_fields[0], ps->group_fields[1], ps->group_fields[2],
        ps->group_fields[3], ps->isa_fields[0], ps->isa_fields[1], ps->isa_fields[2],
        ps->isa_fields[3], ps->isa_fields[4], ps->tx_count, ps->group_first, ps->index);
    if (!group || PyList_Append(ps->groups, group) < 0) { Py_XDECREF(group); return -2; }
    Py_DECREF(group);
    ps->group_open = 0;
    return 0;
}

static int on_iea(Parser *ps, const Str *e, int n) {
    if (!ps->isa_open || ps->group_open || ps->txn_open) return bail(ps, "an IEA out of place");
    char count[24];
    int len = fmt_ll(count, ps->isa_groups);
    Str c = el(e, n, 1);
    int ok = c.len == len && !memcmp(c.p, count, (size_t)len);
    if (!ok) {
        while (c.len && c.p[0] == '0') { c.p++; c.len--; }
        ok = c.len == len && !memcmp(c.p, count, (size_t)len);
    }
    if (!ok) return bail(ps, "IEA01 is not the group count");
    Str control = strip(el(e, n, 2));
    if (control.len != ps->isa13_len || memcmp(control.p, ps->isa13, (size_t)control.len))
        return bail(ps, "IEA02 does not match ISA13");
    ps->isa_open = 0;
    ps->seeking = 1;
    return 0;
}

/* ------------------------------------------------------------------ driving */

static int segment(Parser *ps, Str text) {
    Str els[MAXELS];
    int n = 0, start = 0;
    char es = ps->es;
    for (int j = 0; j <= text.len; j++) {
        if (j < text.len) {
            unsigned char c = (unsigned char)text.p[j];
            /* a control character: outside X12's character set (the engine reports it) unless
             * it is the element separator, or a line break inside a segment (the engine drops
             * it); bytes outside ASCII never get here (see feed) */
            if ((c < 0x20 || c == 0x7f) && c != (unsigned char)es)
                return bail(ps, "a control character inside a segment");
        }
        if (j == text.len || text.p[j] == es) {
            if (n == MAXELS) return bail(ps, "a segment with too many elements");
            els[n].p = text.p + start;
            els[n].len = j - start;
            n++;
            start = j + 1;
        }
    }
    ps->index++;
    Str sid = els[0];
    int fresh = ps->fresh;
    ps->fresh = 0;
    if (sid.len >= 3 && !memcmp(sid.p, "ISA", 3) && !fresh) return bail(ps, "an ISA inside an interchange");
    if (sid.len == 2 || sid.len == 3) {
        uint32_t k = sid_key(sid);
        switch (k) {
            case K3('I', 'S', 'A'): return on_isa(ps, els, n, fresh);
            case K3('I', 'E', 'A'): return on_iea(ps, els, n);
            case K2('G', 'S'): return on_gs(ps, els, n);
            case K2('G', 'E'): return on_ge(ps, els, n);
            case K2('S', 'T'): return on_st(ps, els, n);
            case K2('S', 'E'): return on_se(ps, els, n);
        }
    }
    if (fresh) return bail(ps, "an interchange that does not start with ISA");
    if (!ps->txn_open) return bail(ps, "a segment outside a transaction set");
    ps->position++;
    int node = feed(ps, sid, els, n);
    if (node < 0) return node;
    if (ps->kind == KIND_837P) return on_segment837(ps, sid, node, els, n, text);
    return on_segment(ps, sid, node, els, n, text);
}

/* Learn the delimiters of the ISA at ps->pos (parse_isa's rules, fixed length only). */
static int learn_isa(Parser *ps) {
    const char *p = ps->buf + ps->pos;
    if (ps->len - ps->pos < 106 || memcmp(p, "ISA", 3)) return bail(ps, "no ISA where one should start");
    char es = p[3];
    if (is_alnum(es) || is_ws(es)) return bail(ps, "an unusable element separator");
    int count = 0, last = -1;
    for (int i = 3; i < 106 && count < 16; i++)
        if (p[i] == es) { count++; last = i; }
    if (count != 16 || last != 103) return bail(ps, "an ISA that is not 106 characters");
    char cs = p[104], term = p[105];
    if (is_alnum(term) || term == ' ' || is_alnum(cs) || cs == es) return bail(ps, "unusable delimiters");
    if (term == '\r' || term == '\n' || is_ws(term) || term == es || term == cs)
        return bail(ps, "a newline or whitespace segment terminator");
    ps->es = es;
    ps->cs = cs;
    ps->term = term;
    ps->seeking = 0;
    ps->fresh = 1;
    return 0;
}

static int run(Parser *ps, int final) {
    while (ps->status == RUNNING) {
        if (ps->seeking) {
            while (ps->pos < ps->len && is_ws(ps->buf[ps->pos])) ps->pos++;
            if (ps->pos == ps->len) {
                if (final) break;
                return 0;
            }
            if (ps->len - ps->pos < 106 && !final) return 0;
            if (learn_isa(ps) < 0) return -1;
        }
        char *start = ps->buf + ps->pos;
        char *end = memchr(start, ps->term, ps->len - ps->pos);
        Str text;
        if (!end) {
            if (ps->len - ps->pos > MAX_SEGMENT)
                return bail(ps, "no segment terminator for 16 MB (the engine reads such files)");
            if (!final) return 0;
            text = S(start, (int)(ps->len - ps->pos));
            ps->pos = ps->len;
        } else {
            text = S(start, (int)(end - start));
            ps->pos = (size_t)(end - ps->buf) + 1;
        }
        text = strip(text);
        if (!text.len) {
            if (!end) break;
            continue;
        }
        int rc = segment(ps, text);
        if (rc == -2) return -2;
        if (rc < 0) return -1;
        if (!end) break;
    }
    if (ps->status != RUNNING) return ps->status == BAILED ? -1 : 0;
    if (final) {
        if (ps->isa_open || ps->group_open || ps->txn_open) return bail(ps, "the file ends inside an envelope");
        if (!ps->ntxn_total) return bail(ps, "no transaction set");
        ps->status = DONE;
    }
    return 0;
}

/* ------------------------------------------------------------------ Python glue */

static void Parser_dealloc(Parser *ps) {
    for (int i = 0; i < NTABLES; i++) table_free(&ps->tables[i]);
    for (int i = 0; i < ps->nslots; i++) {
        for (int k = 0; k < ps->slots[i].nrules; k++) free(ps->slots[i].rules[k].codes);
        free(ps->slots[i].rules);
    }
    if (ps->nodes) {
        for (int i = 0; i < ps->nnodes; i++)
            for (int s = 0; s < ps->nsids; s++) {
                if (ps->nodes[i].ncands[s] < 0) continue;
                for (int k = 0; k < ps->nodes[i].ncands[s]; k++) free(ps->nodes[i].cands[s][k].qvals);
                free(ps->nodes[i].cands[s]);
            }
        free(ps->nodes);
    }
    for (int i = 0; i < ps->nguides; i++) free(ps->guides[i]);
    free(ps->guides);
    free(ps->buf);
    free(ps->lines);
    free(ps->dx);
    free(ps->px);
    free(ps->file_id);
    free(ps->data_source);
    Py_XDECREF(ps->groups);
    Py_XDECREF(ps->txns);
    Py_XDECREF(ps->resolve);
    Py_TYPE(ps)->tp_free((PyObject *)ps);
}

static int codes_from(PyObject *seq, Code **out, int *count) {
    *out = NULL;
    *count = 0;
    if (seq == Py_None) return 0;
    PyObject *fast = PySequence_Fast(seq, "codes must be a sequence");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    *out = calloc((size_t)(n ? n : 1), sizeof(Code));
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(fast, i), &len);
        if (!s) { Py_DECREF(fast); return -1; }
        if (len >= 8) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "a code longer than the native parser keeps");
            return -1;
        }
        memcpy((*out)[*count].v, s, (size_t)len);
        (*out)[*count].len = (int)len;
        (*count)++;
    }
    Py_DECREF(fast);
    return 0;
}

/* Parser(sids, slots, nodes, loop_nodes, guides, file_id, data_source) -- see native.py. */
static int Parser_init(Parser *ps, PyObject *args, PyObject *kw) {
    PyObject *sids, *slots, *nodes, *loop_nodes, *resolve, *guides;
    const char *file_id, *data_source, *kind;
    Py_ssize_t file_id_len, data_source_len;
    if (!PyArg_ParseTuple(args, "sOOOOOOs#s#", &kind, &sids, &slots, &nodes, &loop_nodes,
                          &resolve, &guides, &file_id, &file_id_len, &data_source,
                          &data_source_len))
        return -1;
    Py_INCREF(resolve);
    ps->resolve = resolve;
    if (!strcmp(kind, "835")) ps->kind = KIND_835;
    else if (!strcmp(kind, "837P")) ps->kind = KIND_837P;
    else { PyErr_SetString(PyExc_ValueError, "kind must be 835 or 837P"); return -1; }
    ps->nsids = (int)PySequence_Size(sids);
    ps->nslots = (int)PySequence_Size(slots);
    ps->nnodes = (int)PySequence_Size(nodes);
    if (ps->nsids > MAXSIDS || ps->nslots > MAXSLOTS || ps->nnodes > MAXNODES || ps->nsids < 0) {
        PyErr_SetString(PyExc_ValueError, "spec too large for the native parser");
        return -1;
    }
    for (int i = 0; i < ps->nsids; i++) {
        PyObject *item = PySequence_GetItem(sids, i);
        Py_ssize_t len;
        const char *s = item ? PyUnicode_AsUTF8AndSize(item, &len) : NULL;
        Py_XDECREF(item);
        if (!s) return -1;
        ps->sid_key[i] = sid_key(S(s, (int)len));
        uint32_t h = (ps->sid_key[i] * 2654435761u) >> 24;
        while (ps->sid_slot[h]) h = (h + 1) & 255;
        ps->sid_slot[h] = (uint8_t)(i + 1);
    }
    for (int i = 0; i < ps->nslots; i++) {
        PyObject *item = PySequence_GetItem(slots, i), *rules;
        Slot *slot = &ps->slots[i];
        if (!item || !PyArg_ParseTuple(item, "iiO", &slot->max_use, &slot->max_elements, &rules)) {
            Py_XDECREF(item);
            return -1;
        }
        slot->nrules = (int)PySequence_Size(rules);
        slot->rules = calloc((size_t)(slot->nrules ? slot->nrules : 1), sizeof(Rule));
        for (int k = 0; k < slot->nrules; k++) {
            PyObject *r = PySequence_GetItem(rules, k), *codes;
            Rule *rule = &slot->rules[k];
            const char *type;
            int ok = r && PyArg_ParseTuple(r, "iiisiiO", &rule->pos, &rule->component,
                                           &rule->required, &type, &rule->min_len,
                                           &rule->max_len, &codes);
            if (ok) {
                rule->type = type[0];
                ok = codes_from(codes, &rule->codes, &rule->ncodes) == 0;
                if (codes == Py_None) rule->codes = NULL;
            }
            Py_XDECREF(r);
            if (!ok) { Py_DECREF(item); return -1; }
        }
        Py_DECREF(item);
    }
    ps->nodes = calloc((size_t)ps->nnodes, sizeof(Node));
    for (int i = 0; i < ps->nnodes; i++) {
        PyObject *item = PySequence_GetItem(nodes, i), *req_slots, *req_children;
        Node *node = &ps->nodes[i];
        const char *loop_id;
        if (!item || !PyArg_ParseTuple(item, "siiOO", &loop_id, &node->max_repeat,
                                       &node->has_required, &req_slots, &req_children)) {
            Py_XDECREF(item);
            return -1;
        }
        snprintf(node->loop_id, sizeof node->loop_id, "%s", loop_id);
        node->nreq_slots = (int)PySequence_Size(req_slots);
        for (int k = 0; k < node->nreq_slots; k++) {
            PyObject *v = PySequence_GetItem(req_slots, k);
            node->req_slots[k] = (int)PyLong_AsLong(v);
            Py_XDECREF(v);
        }
        node->nreq_children = (int)PySequence_Size(req_children);
        for (int k = 0; k < node->nreq_children; k++) {
            PyObject *v = PySequence_GetItem(req_children, k);
            node->req_children[k] = (int)PyLong_AsLong(v);
            Py_XDECREF(v);
        }
        for (int s = 0; s < ps->nsids; s++) node->ncands[s] = -1; /* asked for when met */
        Py_DECREF(item);
    }
    if (!PyArg_ParseTuple(loop_nodes, "iiiii", &ps->n_root, &ps->n_1000a, &ps->n_1000b,
                          &ps->n_2100, &ps->n_2110))
        return -1;
    ps->nguides = (int)PySequence_Size(guides);
    ps->guides = calloc((size_t)(ps->nguides ? ps->nguides : 1), sizeof(char *));
    for (int i = 0; i < ps->nguides; i++) {
        PyObject *g = PySequence_GetItem(guides, i);
        const char *s = g ? PyUnicode_AsUTF8(g) : NULL;
        if (!s) { Py_XDECREF(g); return -1; }
        ps->guides[i] = strdup(s);
        Py_DECREF(g);
    }
    ps->file_id = malloc((size_t)file_id_len + 1);
    memcpy(ps->file_id, file_id, (size_t)file_id_len);
    ps->file_id_len = (int)file_id_len;
    ps->data_source = malloc((size_t)data_source_len + 1);
    memcpy(ps->data_source, data_source, (size_t)data_source_len);
    ps->data_source_len = (int)data_source_len;
    sha_init(&ps->prefix);
    sha_update(&ps->prefix, file_id, (size_t)file_id_len);
    sha_update(&ps->prefix, "|", 1);
    static const ColSpec *specs[NTABLES] = {PAY_COLS, CLP_COLS, SVC_COLS, CAS_COLS, RMK_COLS,
                                            PLB_COLS, HDR_COLS, LINE_COLS, DX_COLS, PX_COLS};
    static const int ncols[NTABLES] = {NCOLS(PAY_COLS), NCOLS(CLP_COLS), NCOLS(SVC_COLS),
                                       NCOLS(CAS_COLS), NCOLS(RMK_COLS), NCOLS(PLB_COLS),
                                       NCOLS(HDR_COLS), NCOLS(LINE_COLS), NCOLS(DX_COLS),
                                       NCOLS(PX_COLS)};
    static const char *names[NTABLES] = {"payments", "adjudication", "adjudication_line",
                                         "adjustments", "remarks", "provider_adjustments",
                                         "claims_header", "claims_line", "diagnoses",
                                         "procedures_icd"};
    for (int i = 0; i < NTABLES; i++) {
        ps->tables[i].name = names[i];
        ps->tables[i].cols = specs[i];
        ps->tables[i].ncols = ncols[i];
    }
    ps->seeking = 1;
    ps->groups = PyList_New(0);
    ps->txns = PyList_New(0);
    return ps->groups && ps->txns ? 0 : -1;
}

/* feed(chunk, final) -> True while the fast path holds, False once it has given up. */
static PyObject *Parser_feed(Parser *ps, PyObject *args) {
    Py_buffer view;
    int final = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &view, &final)) return NULL;
    if (ps->status == BAILED) { PyBuffer_Release(&view); Py_RETURN_FALSE; }
    const uint8_t *p = view.buf;
    uint64_t high = 0, word;
    Py_ssize_t i = 0;
    for (; i + 8 <= view.len; i += 8) { memcpy(&word, p + i, 8); high |= word; }
    for (; i < view.len; i++) high |= p[i];
    if (high & 0x8080808080808080ULL) {
        PyBuffer_Release(&view);
        bail(ps, "bytes outside ASCII");
        Py_RETURN_FALSE;
    }
    if (ps->pos > 0) {
        memmove(ps->buf, ps->buf + ps->pos, ps->len - ps->pos);
        ps->len -= ps->pos;
        ps->pos = 0;
    }
    if (ps->len + (size_t)view.len > ps->cap) {
        size_t cap = ps->cap ? ps->cap : 1 << 20;
        while (cap < ps->len + (size_t)view.len) cap *= 2;
        char *buf = realloc(ps->buf, cap);
        if (!buf) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
        ps->buf = buf;
        ps->cap = cap;
    }
    memcpy(ps->buf + ps->len, view.buf, (size_t)view.len);
    ps->len += (size_t)view.len;
    PyBuffer_Release(&view);
    int rc = run(ps, final);
    if (rc == -2) return NULL;
    if (ps->status == BAILED) Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyObject *Parser_take(Parser *ps, PyObject *unused) {
    PyObject *out = PyDict_New();
    if (!out) return NULL;
    for (int i = 0; i < NTABLES; i++) {
        if (!ps->tables[i].col[0].n) continue;
        PyObject *cols = table_take(&ps->tables[i]);
        if (!cols || PyDict_SetItemString(out, ps->tables[i].name, cols) < 0) {
            Py_XDECREF(cols); Py_DECREF(out); return NULL;
        }
        Py_DECREF(cols);
    }
    ps->pending = 0;
    return out;
}

static PyObject *Parser_get_pending(Parser *ps, void *c) { return PyLong_FromLongLong(ps->pending); }
static PyObject *Parser_get_reason(Parser *ps, void *c) {
    if (ps->status != BAILED) Py_RETURN_NONE;
    return PyUnicode_FromString(ps->reason);
}
static PyObject *Parser_get_groups(Parser *ps, void *c) { return Py_NewRef(ps->groups); }
static PyObject *Parser_get_txns(Parser *ps, void *c) { return Py_NewRef(ps->txns); }
static PyObject *Parser_get_count(Parser *ps, void *c) { return PyLong_FromLongLong(ps->index); }

static PyMethodDef Parser_methods[] = {
    {"feed", (PyCFunction)Parser_feed, METH_VARARGS,
     "feed(chunk, final=False) -> bool: go on; False once the fast path gave up."},
    {"take", (PyCFunction)Parser_take, METH_NOARGS,
     "take() -> {table: [(column, type, rows, validity, values, offsets)]}; empties the buffers."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Parser_getset[] = {
    {"pending", (getter)Parser_get_pending, NULL, "rows waiting for take()", NULL},
    {"reason", (getter)Parser_get_reason, NULL, "why the fast path gave up, or None", NULL},
    {"groups", (getter)Parser_get_groups, NULL, "functional groups closed so far", NULL},
    {"transactions", (getter)Parser_get_txns, NULL, "transaction sets closed so far", NULL},
    {"segment_count", (getter)Parser_get_count, NULL, "segments read", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ParserType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "claimflow.x12._native.FastParser",
    .tp_basicsize = sizeof(Parser),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Fast path for clean 835 and 837P files; see claimflow.sources.x12_fast.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Parser_init,
    .tp_dealloc = (destructor)Parser_dealloc,
    .tp_methods = Parser_methods,
    .tp_getset = Parser_getset,
};

static PyObject *py_sha256_hex(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    Sha s;
    char hex[64];
    sha_init(&s);
    sha_update(&s, view.buf, (size_t)view.len);
    sha_hex(&s, hex, 64);
    PyBuffer_Release(&view);
    return PyUnicode_FromStringAndSize(hex, 64);
}

static PyObject *py_set_sha(PyObject *self, PyObject *args) {
    int hardware;
    if (!PyArg_ParseTuple(args, "p", &hardware)) return NULL;
    sha_blocks = sha_blocks_portable;
#ifdef HAVE_SHANI
    if (hardware && __builtin_cpu_supports("sha")) sha_blocks = sha_blocks_ni;
#endif
    return PyBool_FromLong(sha_blocks != sha_blocks_portable);
}

static PyMethodDef module_methods[] = {
    {"sha256_hex", py_sha256_hex, METH_VARARGS, "sha256_hex(data) -> hex digest (for tests)."},
    {"use_sha_extensions", py_set_sha, METH_VARARGS,
     "use_sha_extensions(on) -> whether the CPU's SHA instructions are now in use."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native",
                                    "Compiled fast path of the X12 engine.", -1, module_methods};

PyMODINIT_FUNC PyInit__native(void) {
    sha_select();
    if (PyType_Ready(&ParserType) < 0 || PyType_Ready(&OwnedType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&ParserType);
    if (PyModule_AddObject(m, "FastParser", (PyObject *)&ParserType) < 0) {
        Py_DECREF(&ParserType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
