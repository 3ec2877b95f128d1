// CRC-32C with the CPU's own instruction: about 20 times faster than a table, which matters because
// every record is checksummed when it is appended and again when its chunk is read for upload.
//
// The instruction takes three cycles but can start one every cycle, so long buffers are cut into three
// lanes checksummed side by side, and the lanes' checksums combined: the checksum of A then B is the
// checksum of A carried over as many zero bytes as B has, xor B's checksum from zero (Mark Adler's
// method, with the carrying done by tables for two fixed lane lengths).
#include "ccrc32c.h"

#include <string.h>

#define POLYNOMIAL 0x82f63b78u  /* reflected Castagnoli */
#define LONG_LANE 8192
#define SHORT_LANE 256

/* Multiplies the 32x32 bit matrix `matrix` by `vector` over GF(2). */
static uint32_t gf2_times(const uint32_t *matrix, uint32_t vector) {
    uint32_t sum = 0;
    while (vector) {
        if (vector & 1) sum ^= *matrix;
        vector >>= 1;
        matrix++;
    }
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *matrix) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(matrix, matrix[n]);
}

/* The operator that carries a checksum over `length` zero bytes (`length` a power of two). */
static void zeros_operator(uint32_t *even, size_t length) {
    uint32_t odd[32];
    odd[0] = POLYNOMIAL;  /* one zero bit */
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd);  /* two zero bits */
    gf2_square(odd, even);  /* four */
    /* Each square doubles: eight bits (one byte) first, until `length` bytes. */
    do {
        gf2_square(even, odd);
        length >>= 1;
        if (length == 0) return;
        gf2_square(odd, even);
        length >>= 1;
    } while (length);
    memcpy(even, odd, sizeof(odd));
}

/* The operator for `length` zero bytes as four byte-indexed tables. */
static void zeros_tables(uint32_t tables[4][256], size_t length) {
    uint32_t op[32];
    zeros_operator(op, length);
    for (uint32_t n = 0; n < 256; n++) {
        tables[0][n] = gf2_times(op, n);
        tables[1][n] = gf2_times(op, n << 8);
        tables[2][n] = gf2_times(op, n << 16);
        tables[3][n] = gf2_times(op, n << 24);
    }
}

static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];

__attribute__((constructor)) static void make_shift_tables(void) {
    zeros_tables(long_shift, LONG_LANE);
    zeros_tables(short_shift, SHORT_LANE);
}

static inline uint32_t shift(uint32_t tables[4][256], uint32_t crc) {
    return tables[0][crc & 0xff] ^ tables[1][(crc >> 8) & 0xff] ^ tables[2][(crc >> 16) & 0xff] ^ tables[3][crc >> 24];
}

#if defined(__x86_64__)

__attribute__((target("sse4.2")))
static inline uint64_t crc32c_word(uint64_t crc, const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    return __builtin_ia32_crc32di(crc, word);
}

/* Three lanes of `lane` bytes each from `bytes`, side by side, combined into `crc`. */
__attribute__((target("sse4.2")))
static inline uint64_t crc32c_lanes(uint64_t crc, const uint8_t *bytes, size_t lane, uint32_t tables[4][256]) {
    uint64_t second = 0, third = 0;
    const uint8_t *end = bytes + lane;
    while (bytes < end) {
        crc = crc32c_word(crc, bytes);
        second = crc32c_word(second, bytes + lane);
        third = crc32c_word(third, bytes + 2 * lane);
        bytes += 8;
    }
    crc = shift(tables, (uint32_t)crc) ^ second;
    return shift(tables, (uint32_t)crc) ^ third;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    uint64_t value = crc;
    while (count >= 3 * LONG_LANE) {
        value = crc32c_lanes(value, bytes, LONG_LANE, long_shift);
        bytes += 3 * LONG_LANE;
        count -= 3 * LONG_LANE;
    }
    while (count >= 3 * SHORT_LANE) {
        value = crc32c_lanes(value, bytes, SHORT_LANE, short_shift);
        bytes += 3 * SHORT_LANE;
        count -= 3 * SHORT_LANE;
    }
    while (count >= 8) {
        value = crc32c_word(value, bytes);
        bytes += 8;
        count -= 8;
    }
    uint32_t result = (uint32_t)value;
    while (count > 0) {
        result = __builtin_ia32_crc32qi(result, *bytes++);
        count -= 1;
    }
    return result;
}

int sluice_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)

#include <arm_acle.h>

static uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        crc = __crc32cd(crc, word);
        bytes += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __crc32cb(crc, *bytes++);
        count -= 1;
    }
    return crc;
}

int sluice_crc32c_hardware_available(void) { return 1; }

#else

static uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

int sluice_crc32c_hardware_available(void) { return 0; }

#endif

uint32_t sluice_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    return ~crc32c_update(~crc, (const uint8_t *)bytes, count);
}
