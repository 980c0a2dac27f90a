/*
 * claimflow_lineage: a DuckDB extension (stable C extension API, v1.2.0) with one function,
 *
 *     cf_lineage_hash(file_id VARCHAR, row BIGINT, raw VARCHAR) -> VARCHAR
 *
 * the lineage hash of an EMR record: sha256, hex, of file_id || ':' || row || ':' || raw —
 * exactly DuckDB's sha256(file_id || ':' || row || ':' || raw), NULL when an argument is NULL.
 * DuckDB's own sha256 runs a portable SHA-256 on a concatenated copy of the three; this one
 * feeds the three straight to the CPU's SHA extensions where it has them (docs/benchmarks.md,
 * ninth round: 500,000 records, 0.50 → 0.21 CPU-s). claimflow.warehouse.native builds the
 * loadable file from this library and loads it; without it, the run uses DuckDB's sha256.
 *
 * Built by setup.py against the vendored headers in third_party/duckdb (MIT).
 */
#define DUCKDB_EXTENSION_NAME claimflow_lineage
#define DUCKDB_EXTENSION_API_VERSION_MAJOR 1
#define DUCKDB_EXTENSION_API_VERSION_MINOR 2
#define DUCKDB_EXTENSION_API_VERSION_PATCH 0
#include "duckdb_extension.h"
#include "sha256.h"

DUCKDB_EXTENSION_EXTERN

/* ':' row ':' into out (at least 24 bytes); its length. */
static size_t row_part(int64_t row, char *out) {
    char digits[20];
    size_t n = 0, len = 0;
    uint64_t v = row < 0 ? (uint64_t)0 - (uint64_t)row : (uint64_t)row;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out[len++] = ':';
    if (row < 0) out[len++] = '-';
    while (n) out[len++] = digits[--n];
    out[len++] = ':';
    return len;
}

static int is_valid(uint64_t *validity, idx_t row) {
    return !validity || duckdb_validity_row_is_valid(validity, row);
}

static void lineage_hash(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
    (void)info;
    idx_t n = duckdb_data_chunk_get_size(input);
    duckdb_vector files = duckdb_data_chunk_get_vector(input, 0);
    duckdb_vector rows = duckdb_data_chunk_get_vector(input, 1);
    duckdb_vector raws = duckdb_data_chunk_get_vector(input, 2);
    duckdb_string_t *file = (duckdb_string_t *)duckdb_vector_get_data(files);
    int64_t *row = (int64_t *)duckdb_vector_get_data(rows);
    duckdb_string_t *raw = (duckdb_string_t *)duckdb_vector_get_data(raws);
    uint64_t *file_ok = duckdb_vector_get_validity(files);
    uint64_t *row_ok = duckdb_vector_get_validity(rows);
    uint64_t *raw_ok = duckdb_vector_get_validity(raws);
    uint64_t *out_ok = NULL;
    char hex[64], middle[24];
    for (idx_t i = 0; i < n; i++) {
        if (!is_valid(file_ok, i) || !is_valid(row_ok, i) || !is_valid(raw_ok, i)) {
            if (!out_ok) {
                duckdb_vector_ensure_validity_writable(output);
                out_ok = duckdb_vector_get_validity(output);
            }
            duckdb_validity_set_row_invalid(out_ok, i);
            continue;
        }
        Sha s;
        sha_init(&s);
        sha_update(&s, duckdb_string_t_data(&file[i]), duckdb_string_t_length(file[i]));
        sha_update(&s, middle, row_part(row[i], middle));
        sha_update(&s, duckdb_string_t_data(&raw[i]), duckdb_string_t_length(raw[i]));
        sha_hex(&s, hex, 64);
        duckdb_vector_assign_string_element_len(output, i, hex, 64);
    }
}

DUCKDB_EXTENSION_ENTRYPOINT(duckdb_connection connection, duckdb_extension_info info,
                            struct duckdb_extension_access *access) {
    sha_select();
    duckdb_scalar_function fn = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(fn, "cf_lineage_hash");
    duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type bigint = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    duckdb_scalar_function_add_parameter(fn, varchar);
    duckdb_scalar_function_add_parameter(fn, bigint);
    duckdb_scalar_function_add_parameter(fn, varchar);
    duckdb_scalar_function_set_return_type(fn, varchar);
    duckdb_scalar_function_set_function(fn, lineage_hash);
    duckdb_state state = duckdb_register_scalar_function(connection, fn);
    duckdb_destroy_logical_type(&varchar);
    duckdb_destroy_logical_type(&bigint);
    duckdb_destroy_scalar_function(&fn);
    if (state != DuckDBSuccess) {
        access->set_error(info, "cannot register cf_lineage_hash");
        return false;
    }
    return true;
}
