#ifndef HEADSCOPE_CCRYPTO_SHIM_H
#define HEADSCOPE_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
