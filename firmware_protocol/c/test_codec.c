/* Host test of the reference codec against the test vectors.
 * Reads vectors as text lines on stdin (tests/test_protocol.py writes them from
 * ../test_vectors.json):
 *   V <hex> <compact 0|1> <seq> <t0_us> <period_us> <n> <6 n sample values>
 *   I <hex or -> <error name>
 *   C <hex or -> <result name> <opcode> <p1> <p2> <p3>   (unused parameters 0)
 *   R <opcode> <result number> <payload hex or -> <response hex> <reported seq or ->
 *   X <hex or ->                                           (no response)
 * Prints "N passed, M failed" and exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipsense_codec.h"

static size_t from_hex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    if (strcmp(hex, "-") == 0) return 0;
    while (hex[0] && hex[1] && n < cap) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) break;
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

int main(void) {
    char kind[2], hex[1024], name[64];
    unsigned passed = 0, failed = 0;
    uint8_t data[512], again[512];
    { /* checks of the sensor's START/STOP result encoder beyond the vectors */
        uint8_t out[8];
        if (hs_encode_seq_response(out, sizeof out, HS_OP_READ_CONFIG, 1u) != 0u ||
            hs_encode_seq_response(out, HS_SEQ_RESPONSE_SIZE - 1u, HS_OP_START, 1u) != 0u ||
            hs_encode_seq_response(out, HS_SEQ_RESPONSE_SIZE, HS_OP_STOP, 0xABCDu) !=
                HS_SEQ_RESPONSE_SIZE ||
            memcmp(out, "\xf0\x02\x00\xcd\xab", HS_SEQ_RESPONSE_SIZE) != 0) {
            failed++;
            printf("FAIL hs_encode_seq_response\n");
        }
    }
    while (scanf("%1s %1023s", kind, hex) == 2) {
        size_t len = from_hex(hex, data, sizeof data);
        hs_packet p;
        if (kind[0] == 'C') {
            hs_command c;
            unsigned op, a, b, d, ok;
            hs_result r;
            if (scanf("%63s %u %u %u %u", name, &op, &a, &b, &d) != 5) return 2;
            r = hs_parse_command(data, len, &c);
            ok = strcmp(hs_result_name(r), name) == 0;
            if (ok && r == HS_RESULT_OK) {
                ok = c.opcode == op;
                if (op == HS_OP_START) {
                    ok = ok && c.rate_hz == a && c.acc_range_g == b && c.gyr_range_dps == d;
                } else if (op == HS_OP_IDENTIFY) {
                    ok = ok && c.seconds == a;
                } else if (op == HS_OP_SET_CLOCK) {
                    ok = ok && c.clock_us == (uint32_t)a;
                }
            }
            if (ok) {
                passed++;
            } else {
                failed++;
                printf("FAIL command %s: got %s\n", hex, hs_result_name(r));
            }
            continue;
        }
        if (kind[0] == 'R') {
            unsigned op = (unsigned)strtoul(hex, 0, 10), result, ok;
            char payload_hex[512], want_hex[1024], seq_text[16];
            uint8_t payload[256], want[512], got[512];
            size_t plen, wlen, glen;
            hs_response r;
            uint16_t seq = 0;
            int has_seq, want_seq = 0;
            unsigned long want_value = 0;
            if (scanf("%u %511s %1023s %15s", &result, payload_hex, want_hex, seq_text) != 4) {
                return 2;
            }
            if (strcmp(seq_text, "-") != 0) {
                want_seq = 1;
                want_value = strtoul(seq_text, 0, 10);
            }
            plen = from_hex(payload_hex, payload, sizeof payload);
            wlen = from_hex(want_hex, want, sizeof want);
            glen = hs_encode_response(got, sizeof got, (uint8_t)op, (hs_result)result, payload,
                                      plen);
            ok = glen == wlen && memcmp(got, want, wlen) == 0;
            /* decoded back: the same opcode, result and payload */
            ok = ok && hs_parse_response(want, wlen, &r) && r.opcode == op &&
                 (unsigned)r.result == result && r.payload_len == plen &&
                 memcmp(r.payload, payload, plen) == 0;
            has_seq = ok ? hs_response_seq(&r, &seq) : 0;
            ok = ok && has_seq == want_seq && (!want_seq || seq == want_value);
            if (ok && want_seq && plen == 2u) { /* the sensor's encoder writes it */
                glen = hs_encode_seq_response(got, sizeof got, (uint8_t)op, seq);
                ok = glen == wlen && memcmp(got, want, wlen) == 0;
            }
            if (ok) {
                passed++;
            } else {
                failed++;
                printf("FAIL response %s\n", want_hex);
            }
            continue;
        }
        if (kind[0] == 'X') {
            hs_response r;
            if (hs_parse_response(data, len, &r) == 0) {
                passed++;
            } else {
                failed++;
                printf("FAIL no response %s: parsed\n", hex);
            }
            continue;
        }
        if (kind[0] == 'I') {
            hs_status st;
            if (scanf("%63s", name) != 1) return 2;
            st = hs_decode(data, len, &p);
            if (strcmp(hs_status_name(st), name) == 0) {
                passed++;
            } else {
                failed++;
                printf("FAIL invalid %s: got %s, want %s\n", hex, hs_status_name(st), name);
            }
        } else {
            unsigned compact, seq, n, k, i, ok = 1;
            unsigned long t0, period;
            size_t size;
            hs_sample want[HS_MAX_SAMPLES];
            if (scanf("%u %u %lu %lu %u", &compact, &seq, &t0, &period, &n) != 5 ||
                n > HS_MAX_SAMPLES) {
                return 2;
            }
            for (k = 0; k < n; k++) {
                int v[6];
                for (i = 0; i < 6; i++) {
                    if (scanf("%d", &v[i]) != 1) return 2;
                }
                for (i = 0; i < 3; i++) {
                    want[k].acc[i] = (int16_t)v[i];
                    want[k].gyr[i] = (int16_t)v[i + 3];
                }
            }
            if (hs_decode(data, len, &p) != HS_OK || p.seq != seq || p.t0_us != t0 ||
                p.period_us != period || p.count != n || p.compact != compact) {
                ok = 0;
            }
            for (k = 0; ok && k < n; k++) {
                ok = memcmp(p.samples[k].acc, want[k].acc, sizeof want[k].acc) == 0 &&
                     memcmp(p.samples[k].gyr, want[k].gyr, sizeof want[k].gyr) == 0;
            }
            size = compact ? hs_encode_compact(again, sizeof again, (uint16_t)seq,
                                               (uint32_t)t0, &want[0])
                           : hs_encode_full(again, sizeof again, (uint16_t)seq, (uint32_t)t0,
                                            (uint16_t)period, want, (uint8_t)n);
            if (ok && (size != len || memcmp(again, data, len) != 0)) ok = 0;
            if (ok) {
                passed++;
            } else {
                failed++;
                printf("FAIL valid %s\n", hex);
            }
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
