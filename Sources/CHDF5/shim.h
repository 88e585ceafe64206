#ifndef HEADSCOPE_CHDF5_SHIM_H
#define HEADSCOPE_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>

// HDF5 exposes its constants as macros that expand to function calls or casts, which Swift cannot
// import. Each one is re-exported here as a static inline function.
static inline hid_t hs_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t hs_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t hs_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t hs_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t hs_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t hs_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t hs_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t hs_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t hs_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t hs_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t hs_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t hs_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t hs_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t hs_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t hs_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t hs_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t hs_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t hs_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t hs_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
static inline hid_t hs_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t hs_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t hs_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned hs_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned hs_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned hs_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned hs_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline hsize_t hs_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline size_t hs_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline herr_t hs_H5open(void) { return H5open(); }
static inline hid_t hs_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t hs_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t hs_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t hs_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t hs_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t hs_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t hs_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t hs_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline unsigned hs_H5F_OBJ_LOCAL_OPEN_OBJECTS(void) {
    return H5F_OBJ_LOCAL | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR;
}
// Error-stack auto-printing is set per thread in the threadsafe build; callers switch it off on
// the thread they run on before each library call, so failures are reported only as thrown errors.
static inline herr_t hs_silence_error_printing(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
