#ifndef HEADSCOPE_CARCHIVE_SHIM_H
#define HEADSCOPE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// libarchive's file-type constants are cast macros Swift cannot import.
static inline unsigned int hs_AE_IFMT(void) { return AE_IFMT; }
static inline unsigned int hs_AE_IFREG(void) { return AE_IFREG; }
static inline unsigned int hs_AE_IFLNK(void) { return AE_IFLNK; }
static inline unsigned int hs_AE_IFDIR(void) { return AE_IFDIR; }
static inline unsigned int hs_AE_IFCHR(void) { return AE_IFCHR; }
static inline unsigned int hs_AE_IFBLK(void) { return AE_IFBLK; }
static inline unsigned int hs_AE_IFIFO(void) { return AE_IFIFO; }
static inline unsigned int hs_AE_IFSOCK(void) { return AE_IFSOCK; }
#endif
