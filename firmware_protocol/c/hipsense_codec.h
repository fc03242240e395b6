/* hipsense sensor BLE protocol v1: reference codec for firmware authors.
 * Portable C99, no allocation, no dependencies. See ../PROTOCOL.md. */
#ifndef HIPSENSE_CODEC_H
#define HIPSENSE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define HS_PROTOCOL_VERSION 1u
#define HS_FORMAT_FULL 0x01u
#define HS_FORMAT_COMPACT 0x81u
#define HS_FULL_HEADER 11u
#define HS_COMPACT_HEADER 8u
#define HS_SAMPLE_BYTES 12u
#define HS_MAX_SAMPLES 19u
#define HS_COMPACT_SIZE (HS_COMPACT_HEADER + HS_SAMPLE_BYTES)
#define HS_MAX_PACKET (HS_FULL_HEADER + HS_SAMPLE_BYTES * HS_MAX_SAMPLES)

typedef struct {
    int16_t acc[3]; /* counts; times acc_g_per_lsb gives g */
    int16_t gyr[3]; /* counts; times gyr_dps_per_lsb gives deg/s */
} hs_sample;

typedef struct {
    uint16_t seq;
    uint32_t t0_us;     /* sensor clock at the first sample */
    uint16_t period_us; /* 0 for a compact packet */
    uint8_t count;
    uint8_t compact;
    hs_sample samples[HS_MAX_SAMPLES];
} hs_packet;

typedef enum {
    HS_OK = 0,
    HS_TOO_SHORT,
    HS_BAD_VERSION,
    HS_BAD_FORMAT,
    HS_BAD_COUNT,
    HS_BAD_LENGTH,
    HS_BAD_PERIOD
} hs_status;

/* Write a full packet of n (1..19) samples into out (capacity cap).
 * Returns the bytes written, or 0 if the arguments are invalid or cap too small. */
size_t hs_encode_full(uint8_t *out, size_t cap, uint16_t seq, uint32_t t0_us,
                      uint16_t period_us, const hs_sample *samples, uint8_t n);

/* Write a 20-byte compact packet with one sample. Returns 20, or 0 if cap < 20. */
size_t hs_encode_compact(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                         const hs_sample *sample);

/* Decode one notification. On HS_OK *out is filled; otherwise it is untouched. */
hs_status hs_decode(const uint8_t *data, size_t len, hs_packet *out);

/* The error code names of PROTOCOL.md ("ok", "too_short", ...). */
const char *hs_status_name(hs_status status);

/* ---- control point ---- */

#define HS_RESPONSE_CODE 0xF0u

typedef enum {
    HS_OP_START = 0x01,
    HS_OP_STOP = 0x02,
    HS_OP_IDENTIFY = 0x03,
    HS_OP_SET_CLOCK = 0x04,
    HS_OP_READ_CONFIG = 0x05
} hs_opcode;

typedef enum {
    HS_RESULT_OK = 0x00,
    HS_RESULT_UNKNOWN_OPCODE = 0x01,
    HS_RESULT_INVALID_PARAMETER = 0x02,
    HS_RESULT_INVALID_STATE = 0x03,
    HS_RESULT_INVALID_LENGTH = 0x04
} hs_result;

typedef struct {
    uint8_t opcode;
    uint16_t rate_hz;       /* start */
    uint8_t acc_range_g;    /* start: 2, 4, 8, 16 */
    uint16_t gyr_range_dps; /* start: 125, 250, 500, 1000, 2000 */
    uint8_t seconds;        /* identify */
    uint32_t clock_us;      /* set clock */
} hs_command;

/* Parse a control-point write. Anything but HS_RESULT_OK is the result code the
 * sensor must answer with. (Whether the sensor's state allows the command is
 * the firmware's to check: HS_RESULT_INVALID_STATE.) */
hs_result hs_parse_command(const uint8_t *data, size_t len, hs_command *out);

/* Write a response (0xF0, opcode, result, payload). Returns the bytes written,
 * or 0 if cap is too small. */
size_t hs_encode_response(uint8_t *out, size_t cap, uint8_t opcode, hs_result result,
                          const uint8_t *payload, size_t payload_len);

/* The result names of PROTOCOL.md in snake case ("ok", "unknown_opcode", ...). */
const char *hs_result_name(hs_result result);

/* START and STOP results report a sequence number (PROTOCOL.md): START the
 * one the stream's first packet carries (first_seq), STOP the one the sensor
 * would give its next packet (next_seq); a u16, little-endian. */
#define HS_SEQ_RESPONSE_SIZE 5u

/* Sensor side: write the ok result of START or STOP reporting seq (5 bytes).
 * Returns 5, or 0 if opcode is neither START nor STOP or cap is too small. */
size_t hs_encode_seq_response(uint8_t *out, size_t cap, uint8_t opcode, uint16_t seq);

typedef struct {
    uint8_t opcode;
    hs_result result;
    const uint8_t *payload; /* points into the parsed bytes */
    size_t payload_len;
} hs_response;

/* Host side: parse a control-point notification. Returns 1 and fills *out, or
 * 0 (out untouched) if it is no response: under 3 bytes, not 0xF0, or an
 * unknown result code. */
int hs_parse_response(const uint8_t *data, size_t len, hs_response *out);

/* Host side: the sequence number an ok START or STOP result reports. Returns 1
 * and sets *seq; 0 when it reports none (a payload under 2 bytes, as from the
 * first firmware: the packets lost before the first or after the last packet
 * received cannot be counted) or the response is of another kind. Bytes after
 * the first two of the payload are left for later fields. */
int hs_response_seq(const hs_response *response, uint16_t *seq);

#endif
