/* hipsense sensor BLE protocol v1: reference codec. See hipsense_codec.h. */
#include "hipsense_codec.h"

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
    put_u16(p, (uint16_t)(v & 0xFFFFu));
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)get_u16(p) | ((uint32_t)get_u16(p + 2) << 16);
}

static void put_sample(uint8_t *p, const hs_sample *s) {
    unsigned i;
    for (i = 0; i < 3u; i++) put_u16(p + 2u * i, (uint16_t)s->acc[i]);
    for (i = 0; i < 3u; i++) put_u16(p + 6u + 2u * i, (uint16_t)s->gyr[i]);
}

static int16_t to_i16(uint16_t v) {
    /* two's complement without implementation-defined conversion */
    return v < 0x8000u ? (int16_t)v : (int16_t)(-(int32_t)(0x10000u - v));
}

static void get_sample(const uint8_t *p, hs_sample *s) {
    unsigned i;
    for (i = 0; i < 3u; i++) s->acc[i] = to_i16(get_u16(p + 2u * i));
    for (i = 0; i < 3u; i++) s->gyr[i] = to_i16(get_u16(p + 6u + 2u * i));
}

static void put_head(uint8_t *out, uint8_t format, uint16_t seq, uint32_t t_us) {
    out[0] = (uint8_t)HS_PROTOCOL_VERSION;
    out[1] = format;
    put_u16(out + 2, seq);
    put_u32(out + 4, t_us);
}

size_t hs_encode_full(uint8_t *out, size_t cap, uint16_t seq, uint32_t t0_us,
                      uint16_t period_us, const hs_sample *samples, uint8_t n) {
    size_t size = HS_FULL_HEADER + (size_t)HS_SAMPLE_BYTES * n;
    unsigned k;
    if (out == 0 || samples == 0 || n == 0u || n > HS_MAX_SAMPLES || period_us == 0u ||
        cap < size) {
        return 0;
    }
    put_head(out, (uint8_t)HS_FORMAT_FULL, seq, t0_us);
    out[8] = n;
    put_u16(out + 9, period_us);
    for (k = 0; k < n; k++) put_sample(out + HS_FULL_HEADER + HS_SAMPLE_BYTES * k, &samples[k]);
    return size;
}

size_t hs_encode_compact(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                         const hs_sample *sample) {
    if (out == 0 || sample == 0 || cap < HS_COMPACT_SIZE) return 0;
    put_head(out, (uint8_t)HS_FORMAT_COMPACT, seq, t_us);
    put_sample(out + HS_COMPACT_HEADER, sample);
    return HS_COMPACT_SIZE;
}

hs_status hs_decode(const uint8_t *data, size_t len, hs_packet *out) {
    unsigned k, n;
    int full;
    if (data == 0 || len < HS_COMPACT_HEADER) return HS_TOO_SHORT;
    full = data[1] == HS_FORMAT_FULL;
    if (full && len < HS_FULL_HEADER) return HS_TOO_SHORT;
    if (data[0] != HS_PROTOCOL_VERSION) return HS_BAD_VERSION;
    if (!full && data[1] != HS_FORMAT_COMPACT) return HS_BAD_FORMAT;
    n = full ? data[8] : 1u;
    if (full && (n == 0u || n > HS_MAX_SAMPLES)) return HS_BAD_COUNT;
    if (len != (full ? HS_FULL_HEADER + HS_SAMPLE_BYTES * n : HS_COMPACT_SIZE)) {
        return HS_BAD_LENGTH;
    }
    if (full && get_u16(data + 9) == 0u) return HS_BAD_PERIOD;
    out->seq = get_u16(data + 2);
    out->t0_us = get_u32(data + 4);
    out->period_us = full ? get_u16(data + 9) : 0u;
    out->count = (uint8_t)n;
    out->compact = (uint8_t)!full;
    for (k = 0; k < n; k++) {
        get_sample(data + (full ? HS_FULL_HEADER : HS_COMPACT_HEADER) + HS_SAMPLE_BYTES * k,
                   &out->samples[k]);
    }
    return HS_OK;
}

const char *hs_status_name(hs_status status) {
    switch (status) {
    case HS_OK: return "ok";
    case HS_TOO_SHORT: return "too_short";
    case HS_BAD_VERSION: return "bad_version";
    case HS_BAD_FORMAT: return "bad_format";
    case HS_BAD_COUNT: return "bad_count";
    case HS_BAD_LENGTH: return "bad_length";
    case HS_BAD_PERIOD: return "bad_period";
    }
    return "unknown";
}

static int acc_range_ok(uint8_t g) { return g == 2u || g == 4u || g == 8u || g == 16u; }

static int gyr_range_ok(uint16_t dps) {
    return dps == 125u || dps == 250u || dps == 500u || dps == 1000u || dps == 2000u;
}

hs_result hs_parse_command(const uint8_t *data, size_t len, hs_command *out) {
    size_t want;
    if (data == 0 || len == 0) return HS_RESULT_INVALID_LENGTH;
    switch (data[0]) {
    case HS_OP_START: want = 5; break;
    case HS_OP_STOP: want = 0; break;
    case HS_OP_IDENTIFY: want = 1; break;
    case HS_OP_SET_CLOCK: want = 4; break;
    case HS_OP_READ_CONFIG: want = 0; break;
    default: return HS_RESULT_UNKNOWN_OPCODE;
    }
    if (len - 1u != want) return HS_RESULT_INVALID_LENGTH;
    out->opcode = data[0];
    out->rate_hz = 0;
    out->acc_range_g = 0;
    out->gyr_range_dps = 0;
    out->seconds = 0;
    out->clock_us = 0;
    if (data[0] == HS_OP_START) {
        out->rate_hz = get_u16(data + 1);
        out->acc_range_g = data[3];
        out->gyr_range_dps = get_u16(data + 4);
        if (out->rate_hz == 0u || !acc_range_ok(out->acc_range_g) ||
            !gyr_range_ok(out->gyr_range_dps)) {
            return HS_RESULT_INVALID_PARAMETER;
        }
    } else if (data[0] == HS_OP_IDENTIFY) {
        out->seconds = data[1];
    } else if (data[0] == HS_OP_SET_CLOCK) {
        out->clock_us = get_u32(data + 1);
    }
    return HS_RESULT_OK;
}

size_t hs_encode_response(uint8_t *out, size_t cap, uint8_t opcode, hs_result result,
                          const uint8_t *payload, size_t payload_len) {
    size_t i;
    if (out == 0 || cap < 3u + payload_len || (payload_len > 0u && payload == 0)) return 0;
    out[0] = (uint8_t)HS_RESPONSE_CODE;
    out[1] = opcode;
    out[2] = (uint8_t)result;
    for (i = 0; i < payload_len; i++) out[3 + i] = payload[i];
    return 3u + payload_len;
}

const char *hs_result_name(hs_result result) {
    switch (result) {
    case HS_RESULT_OK: return "ok";
    case HS_RESULT_UNKNOWN_OPCODE: return "unknown_opcode";
    case HS_RESULT_INVALID_PARAMETER: return "invalid_parameter";
    case HS_RESULT_INVALID_STATE: return "invalid_state";
    case HS_RESULT_INVALID_LENGTH: return "invalid_length";
    }
    return "unknown";
}

size_t hs_encode_seq_response(uint8_t *out, size_t cap, uint8_t opcode, uint16_t seq) {
    uint8_t payload[2];
    if (opcode != HS_OP_START && opcode != HS_OP_STOP) return 0;
    put_u16(payload, seq);
    return hs_encode_response(out, cap, opcode, HS_RESULT_OK, payload, sizeof payload);
}

int hs_parse_response(const uint8_t *data, size_t len, hs_response *out) {
    if (data == 0 || out == 0 || len < 3u || data[0] != HS_RESPONSE_CODE ||
        data[2] > HS_RESULT_INVALID_LENGTH) {
        return 0;
    }
    out->opcode = data[1];
    out->result = (hs_result)data[2];
    out->payload = data + 3;
    out->payload_len = len - 3u;
    return 1;
}

int hs_response_seq(const hs_response *response, uint16_t *seq) {
    if (response == 0 || seq == 0 || response->result != HS_RESULT_OK ||
        (response->opcode != HS_OP_START && response->opcode != HS_OP_STOP) ||
        response->payload_len < 2u) {
        return 0;
    }
    *seq = get_u16(response->payload);
    return 1;
}
