// CRC-32C with the CPU's own instruction: about 20 times faster than a table, which matters because
// every record is checksummed when it is appended and again when its chunk is read for upload.
#include "ccrc32c.h"

#include <string.h>

#if defined(__x86_64__)

__attribute__((target("sse4.2")))
static uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    uint64_t value = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        value = __builtin_ia32_crc32di(value, word);
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
