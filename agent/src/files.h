/* The agent's work folder, the files beside the exe (<exe>.job, .log, .done) and small file helpers. */
#ifndef PUSHINSTALL_FILES_H
#define PUSHINSTALL_FILES_H

#include <windows.h>

/* Only SYSTEM and the Administrators group, inherited by everything created inside; protected
 * (P) from the parent's inheritable ACEs, so C:\Windows\Temp's "Users may create" does not reach in. */
#define WORK_DIR_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

/* Creates <SystemRoot>\Temp\PushInstall-<run> with WORK_DIR_SDDL into out. A folder already there
 * (an earlier attempt, or someone else's) is deleted first, without following links; the new one
 * must be created by this call (CreateDirectoryW fails if it exists). Returns 0 or a Win32 error. */
DWORD workdir_create(const char *run, wchar_t *out, DWORD cap);

/* The folder's DACL as SDDL, read back from the file system (for the log). */
void workdir_describe(const wchar_t *dir, char *out, int cap);

/* Deletes a folder and everything in it. Links (reparse points) are removed, never followed.
 * Returns 0 when the folder is gone, else the first Win32 error. */
DWORD delete_tree(const wchar_t *dir);

/* A file name the console may give a package file: 1..100 of [A-Za-z0-9 ._()+-], not starting
 * with '.' or ' ', not ending with '.' or ' ', no device name (CON, NUL, COM1...). */
int safe_file_name(const char *name);

/* Writes / reads a whole small file (at most cap - 1 bytes, NUL-terminated). 0 or a Win32 error. */
DWORD write_small_file(const wchar_t *path, const char *text);
DWORD read_small_file(const wchar_t *path, char *out, DWORD cap);

/* Reads a file's first cap bytes (all of it if shorter) into buf, *len the count; no NUL is added.
 * Give cap one more than the largest size allowed to tell "too large" from "exactly the limit".
 * 0 (ERROR_SUCCESS) or a Win32 error. */
DWORD read_file_prefix(const wchar_t *path, char *buf, DWORD cap, DWORD *len);

/* "<this exe's full path><suffix>" (the job file ".job", the log ".log", the marker ".done") in a
 * HeapAlloc'ed buffer (free with HeapFree), or NULL. */
wchar_t *exe_path_with_suffix(const wchar_t *suffix);

#endif
