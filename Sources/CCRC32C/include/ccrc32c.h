#ifndef SLUICE_CCRC32C_H
#define SLUICE_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU computes CRC-32C in hardware (SSE 4.2 on x86-64, the CRC extension on arm64).
int sluice_crc32c_hardware_available(void);

/// CRC-32C of `count` bytes at `bytes`, continuing from `crc` (0 to start), in hardware. Only call it
/// when `sluice_crc32c_hardware_available()` says so.
uint32_t sluice_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
