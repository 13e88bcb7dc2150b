/* hash5.c - being written */
typedef int vfm_stub_hash5;
