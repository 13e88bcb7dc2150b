/* flow.c - being written */
typedef int vfm_stub_flow;
