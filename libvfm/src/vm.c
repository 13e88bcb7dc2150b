/* vm.c - being written */
typedef int vfm_stub_vm;
