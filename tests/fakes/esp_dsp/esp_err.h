// Host stand-in for ESP-IDF's esp_err.h: just what the S3 kernels use.
#pragma once
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_ERR_DSP_INVALID_LENGTH 0x70001
