/*
 * tsdaos dfuse: the libfuse3 low-level API driven from Node's own event loop (no FUSE threads).
 *
 * The session's /dev/fuse descriptor is non-blocking and watched with a uv_poll; when it is readable the
 * main thread reads requests (fuse_session_receive_buf) and hands each to libfuse (process_buf), whose
 * low-level callbacks below pass the request straight to one JavaScript dispatcher. JavaScript answers
 * later, from any turn, with the reply functions exported here. No thread hand-off, no semaphore: one
 * request costs one read of /dev/fuse, the JavaScript work and one write of the answer.
 *
 * A request travels to JavaScript as a double holding its fuse_req_t pointer (user-space pointers fit in
 * 53 bits) and must be answered exactly once with one reply function (libfuse frees it then). The caller
 * of the request (uid, gid, pid, umask) is written into a shared Int32Array before each dispatch.
 */
#define FUSE_USE_VERSION 312
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

/* Operation numbers: mirrored in dfuse/fuse-lowlevel.ts (LlOp). */
enum {
  OP_LOOKUP = 1, OP_FORGET = 2, OP_GETATTR = 3, OP_SETATTR = 4, OP_READLINK = 5, OP_MKNOD = 6, OP_MKDIR = 7,
  OP_UNLINK = 8, OP_RMDIR = 9, OP_SYMLINK = 10, OP_RENAME = 11, OP_LINK = 12, OP_OPEN = 13, OP_READ = 14,
  OP_WRITE = 15, OP_FLUSH = 16, OP_RELEASE = 17, OP_FSYNC = 18, OP_OPENDIR = 19, OP_READDIR = 20,
  OP_RELEASEDIR = 21, OP_FSYNCDIR = 22, OP_STATFS = 23, OP_SETXATTR = 24, OP_GETXATTR = 25,
  OP_LISTXATTR = 26, OP_REMOVEXATTR = 27, OP_CREATE = 28, OP_READDIRPLUS = 29, OP_FALLOCATE = 30,
};

/* Requests read per poll wake-up before yielding to the rest of the event loop. */
#define REQUESTS_PER_WAKEUP 64

typedef struct {
  struct fuse_session *se;
  struct fuse_buf buf;
  uv_poll_t poll;
  int polling;
  /* The poll handle: initialized, closing (uv_close called), closed (its close callback ran). */
  int poll_open;
  int poll_closed;
  /* JavaScript dropped the session: the struct is freed once the poll handle is closed. */
  int finalized;
  int mounted;
  napi_env env;
  napi_ref dispatch;
  napi_ref on_exit;
  napi_ref resource;
  napi_async_context async_context;
  int32_t *caller; /* uid, gid, pid, umask: the shared Int32Array's memory */
  napi_ref caller_ref;
  uint32_t max_write;
  uint32_t max_readahead;
  /* The mount's max_read option (libfuse requires init to ask for the same). */
  uint32_t max_read;
  int readdirplus;
} session_t;

#define CHECK(call)                                                                    \
  do {                                                                                 \
    if ((call) != napi_ok) {                                                           \
      const napi_extended_error_info *info = NULL;                                     \
      napi_get_last_error_info(env, &info);                                            \
      napi_throw_error(env, NULL, info && info->error_message ? info->error_message : #call); \
      return NULL;                                                                     \
    }                                                                                  \
  } while (0)

/* argc/argv of a call that needs at least `n` arguments (n > 0); fewer throws a TypeError naming `usage`. */
#define CALL_ARGS(n, usage)                                                 \
  size_t argc = (n);                                                        \
  napi_value argv[(n)];                                                     \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));              \
  if (argc < (n)) {                                                         \
    napi_throw_type_error(env, NULL, usage);                                \
    return NULL;                                                            \
  }

/* ---- calling JavaScript ------------------------------------------------------------------------- */

static napi_value num(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

static napi_value str(napi_env env, const char *value) {
  napi_value out;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value reqv(napi_env env, fuse_req_t req) {
  return num(env, (double) (uintptr_t) req);
}

/* Calls the dispatcher with (op, req, ...args); a throwing dispatcher is a bug: fatal, like any uncaught error. */
static void dispatch(session_t *s, fuse_req_t req, int op, size_t argc, napi_value *args) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (req != NULL) {
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    s->caller[0] = (int32_t) ctx->uid;
    s->caller[1] = (int32_t) ctx->gid;
    s->caller[2] = (int32_t) ctx->pid;
    s->caller[3] = (int32_t) ctx->umask;
  }
  napi_value argv[8];
  argv[0] = num(env, op);
  argv[1] = req == NULL ? num(env, 0) : reqv(env, req);
  for (size_t i = 0; i < argc && i < 6; i++) argv[i + 2] = args[i];
  napi_value fn, undefined, result;
  napi_get_reference_value(env, s->dispatch, &fn);
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, fn, argc + 2, argv, &result) != napi_ok) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

#define ARGS(...) napi_value args[] = {__VA_ARGS__}; dispatch(s, req, op, sizeof(args) / sizeof(args[0]), args)
#define SESSION() session_t *s = (session_t *) fuse_req_userdata(req); napi_env env = s->env; (void) env
#define FH(fi) num(env, (fi) == NULL ? -1 : (double) (fi)->fh)

/* ---- low-level callbacks ------------------------------------------------------------------------ */

static void ll_init(void *userdata, struct fuse_conn_info *conn) {
  session_t *s = (session_t *) userdata;
  conn->max_write = s->max_write;
  conn->max_readahead = s->max_readahead;
  conn->max_read = s->max_read;
  conn->want |= FUSE_CAP_ASYNC_READ | FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_PARALLEL_DIROPS;
  if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA) conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  if (s->readdirplus && (conn->capable & FUSE_CAP_READDIRPLUS)) conn->want |= FUSE_CAP_READDIRPLUS;
  else conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
  /*
   * The descriptor is read non-blocking from one thread: no splice reads, no writeback cache (sizes are
   * ours). Answers may splice (replyParts: file parts go from the file's pages to the kernel without a
   * copy in this process; libfuse copies instead where it cannot splice).
   */
  conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE | FUSE_CAP_WRITEBACK_CACHE);
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE | (conn->capable & FUSE_CAP_SPLICE_MOVE);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  SESSION(); int op = OP_LOOKUP; ARGS(num(env, parent), str(env, name));
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  session_t *s = (session_t *) fuse_req_userdata(req);
  napi_env env = s->env;
  int op = OP_FORGET;
  napi_value args[] = {num(env, ino), num(env, (double) nlookup)};
  dispatch(s, NULL, op, 2, args);
  fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets) {
  session_t *s = (session_t *) fuse_req_userdata(req);
  napi_env env = s->env;
  for (size_t i = 0; i < count; i++) {
    napi_value args[] = {num(env, forgets[i].ino), num(env, (double) forgets[i].nlookup)};
    dispatch(s, NULL, OP_FORGET, 2, args);
  }
  fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_GETATTR; ARGS(num(env, ino), FH(fi));
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
  SESSION();
  int op = OP_SETATTR;
  napi_value values;
  double *data;
  napi_value arraybuffer;
  if (napi_create_arraybuffer(env, 9 * sizeof(double), (void **) &data, &arraybuffer) != napi_ok) {
    fuse_reply_err(req, ENOMEM);
    return;
  }
  data[0] = attr->st_mode; data[1] = attr->st_uid; data[2] = attr->st_gid; data[3] = (double) attr->st_size;
  data[4] = (double) attr->st_atim.tv_sec; data[5] = (double) attr->st_atim.tv_nsec;
  data[6] = (double) attr->st_mtim.tv_sec; data[7] = (double) attr->st_mtim.tv_nsec;
  data[8] = fi == NULL ? -1 : (double) fi->fh;
  napi_create_typedarray(env, napi_float64_array, 9, arraybuffer, 0, &values);
  ARGS(num(env, ino), num(env, to_set), values);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino) {
  SESSION(); int op = OP_READLINK; ARGS(num(env, ino));
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
  SESSION(); int op = OP_MKNOD; ARGS(num(env, parent), str(env, name), num(env, mode), num(env, (double) rdev));
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
  SESSION(); int op = OP_MKDIR; ARGS(num(env, parent), str(env, name), num(env, mode));
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
  SESSION(); int op = OP_UNLINK; ARGS(num(env, parent), str(env, name));
}

static void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
  SESSION(); int op = OP_RMDIR; ARGS(num(env, parent), str(env, name));
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) {
  SESSION(); int op = OP_SYMLINK; ARGS(str(env, link), num(env, parent), str(env, name));
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname, unsigned int flags) {
  SESSION(); int op = OP_RENAME; ARGS(num(env, parent), str(env, name), num(env, newparent), str(env, newname), num(env, flags));
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname) {
  SESSION(); int op = OP_LINK; ARGS(num(env, ino), num(env, newparent), str(env, newname));
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_OPEN; ARGS(num(env, ino), num(env, fi->flags));
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  SESSION(); int op = OP_READ; ARGS(num(env, ino), num(env, (double) size), num(env, (double) off), FH(fi));
}

/*
 * A Buffer holding a copy of request bytes (the request buffer is reused by the next read of /dev/fuse);
 * on failure the request is answered ENOMEM and -1 returned.
 */
static int copy_bytes(napi_env env, fuse_req_t req, const char *bytes, size_t size, napi_value *out) {
  if (napi_create_buffer_copy(env, size, bytes, NULL, out) == napi_ok) return 0;
  fuse_reply_err(req, ENOMEM);
  return -1;
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  SESSION();
  int op = OP_WRITE;
  napi_value data;
  if (copy_bytes(env, req, buf, size, &data) != 0) return;
  ARGS(num(env, ino), data, num(env, (double) off), FH(fi));
}

static void ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_FLUSH; ARGS(num(env, ino), FH(fi));
}

static void ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_RELEASE; ARGS(num(env, ino), FH(fi), num(env, fi->flags));
}

static void ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  SESSION(); int op = OP_FSYNC; ARGS(num(env, ino), num(env, datasync), FH(fi));
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_OPENDIR; ARGS(num(env, ino), num(env, fi->flags));
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  SESSION(); int op = OP_READDIR; ARGS(num(env, ino), num(env, (double) size), num(env, (double) off), FH(fi));
}

static void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  SESSION(); int op = OP_READDIRPLUS; ARGS(num(env, ino), num(env, (double) size), num(env, (double) off), FH(fi));
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  SESSION(); int op = OP_RELEASEDIR; ARGS(num(env, ino), FH(fi));
}

static void ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  SESSION(); int op = OP_FSYNCDIR; ARGS(num(env, ino), num(env, datasync), FH(fi));
}

static void ll_statfs(fuse_req_t req, fuse_ino_t ino) {
  SESSION(); int op = OP_STATFS; ARGS(num(env, ino));
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags) {
  SESSION();
  int op = OP_SETXATTR;
  napi_value data;
  if (copy_bytes(env, req, value, size, &data) != 0) return;
  ARGS(num(env, ino), str(env, name), data, num(env, flags));
}

static void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
  SESSION(); int op = OP_GETXATTR; ARGS(num(env, ino), str(env, name), num(env, (double) size));
}

static void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  SESSION(); int op = OP_LISTXATTR; ARGS(num(env, ino), num(env, (double) size));
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
  SESSION(); int op = OP_REMOVEXATTR; ARGS(num(env, ino), str(env, name));
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
  SESSION(); int op = OP_CREATE; ARGS(num(env, parent), str(env, name), num(env, mode), num(env, fi->flags));
}

static void ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, struct fuse_file_info *fi) {
  SESSION(); int op = OP_FALLOCATE; ARGS(num(env, ino), num(env, mode), num(env, (double) offset), num(env, (double) length), FH(fi));
}

static const struct fuse_lowlevel_ops ll_ops = {
  .init = ll_init,
  .lookup = ll_lookup,
  .forget = ll_forget,
  .forget_multi = ll_forget_multi,
  .getattr = ll_getattr,
  .setattr = ll_setattr,
  .readlink = ll_readlink,
  .mknod = ll_mknod,
  .mkdir = ll_mkdir,
  .unlink = ll_unlink,
  .rmdir = ll_rmdir,
  .symlink = ll_symlink,
  .rename = ll_rename,
  .link = ll_link,
  .open = ll_open,
  .read = ll_read,
  .write = ll_write,
  .flush = ll_flush,
  .release = ll_release,
  .fsync = ll_fsync,
  .opendir = ll_opendir,
  .readdir = ll_readdir,
  .readdirplus = ll_readdirplus,
  .releasedir = ll_releasedir,
  .fsyncdir = ll_fsyncdir,
  .statfs = ll_statfs,
  .setxattr = ll_setxattr,
  .getxattr = ll_getxattr,
  .listxattr = ll_listxattr,
  .removexattr = ll_removexattr,
  .create = ll_create,
  .fallocate = ll_fallocate,
};

/* ---- the session: mount, poll, unmount ---------------------------------------------------------- */

static void stop_polling(session_t *s) {
  if (!s->polling) return;
  s->polling = 0;
  uv_poll_stop(&s->poll);
}

static void on_poll_closed(uv_handle_t *handle) {
  session_t *s = (session_t *) handle->data;
  s->poll_closed = 1;
  if (s->finalized) free(s);
}

/* Stops and closes the poll handle; libuv forgets it once on_poll_closed has run. */
static void close_poll(session_t *s) {
  stop_polling(s);
  if (!s->poll_open) return;
  s->poll_open = 0;
  uv_close((uv_handle_t *) &s->poll, on_poll_closed);
}

static void notify_exit(session_t *s) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, undefined, result;
  napi_get_reference_value(env, s->on_exit, &fn);
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, fn, 0, NULL, &result) != napi_ok) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void) events;
  session_t *s = (session_t *) handle->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value resource;
  napi_get_reference_value(env, s->resource, &resource);
  /* One callback scope per wake-up: promise jobs and next ticks run once, after the requests are handed out. */
  napi_callback_scope callback_scope;
  napi_open_callback_scope(env, resource, s->async_context, &callback_scope);
  int exited = status < 0;
  for (int n = 0; !exited && n < REQUESTS_PER_WAKEUP; n++) {
    int res = fuse_session_receive_buf(s->se, &s->buf);
    if (res == -EAGAIN || res == -EINTR) break;
    if (res <= 0 || fuse_session_exited(s->se)) {
      exited = 1;
      break;
    }
    fuse_session_process_buf(s->se, &s->buf);
  }
  if (exited) {
    close_poll(s);
    notify_exit(s);
  }
  napi_close_callback_scope(env, callback_scope);
  napi_close_handle_scope(env, scope);
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void) hint;
  session_t *s = (session_t *) data;
  /* Reached only once JavaScript dropped the session; close() normally ran long before. */
  if (s->se != NULL) {
    close_poll(s);
    if (s->mounted) fuse_session_unmount(s->se);
    fuse_session_destroy(s->se);
    s->se = NULL;
  }
  free(s->buf.mem);
  s->buf.mem = NULL;
  napi_delete_reference(env, s->dispatch);
  napi_delete_reference(env, s->on_exit);
  napi_delete_reference(env, s->resource);
  napi_delete_reference(env, s->caller_ref);
  napi_async_destroy(env, s->async_context);
  if (s->poll_closed) free(s);
  else s->finalized = 1;
}

static char *string_arg(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *out = malloc(length + 1);
  if (out == NULL) return NULL;
  napi_get_value_string_utf8(env, value, out, length + 1, &length);
  return out;
}

/*
 * open(mountPoint, options, dispatch, onExit, caller: Int32Array(4), maxWrite, maxReadahead, readdirplus, maxRead)
 * -> session. options is libfuse's "-o" list (fsname=, subtype=, allow_other, default_permissions, ro,
 * max_read=, ...); maxRead must be the list's max_read.
 * Throws with libfuse's reason when the session cannot be created or mounted.
 */
static napi_value ll_open_session(napi_env env, napi_callback_info info) {
  CALL_ARGS(9, "open(mountPoint, options, dispatch, onExit, caller, maxWrite, maxReadahead, readdirplus, maxRead)");
  session_t *s = calloc(1, sizeof(session_t));
  if (s == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  s->env = env;
  uint32_t max_write, max_readahead, max_read;
  bool readdirplus;
  CHECK(napi_get_value_uint32(env, argv[5], &max_write));
  CHECK(napi_get_value_uint32(env, argv[6], &max_readahead));
  CHECK(napi_get_value_bool(env, argv[7], &readdirplus));
  CHECK(napi_get_value_uint32(env, argv[8], &max_read));
  s->max_write = max_write;
  s->max_readahead = max_readahead;
  s->max_read = max_read;
  s->readdirplus = readdirplus ? 1 : 0;
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[4], &type, &length, &data, NULL, NULL));
  if (type != napi_int32_array || length < 4) {
    free(s);
    napi_throw_type_error(env, NULL, "caller must be an Int32Array of 4");
    return NULL;
  }
  s->caller = (int32_t *) data;
  char *mount_point = string_arg(env, argv[0]);
  char *options = string_arg(env, argv[1]);
  char *fuse_argv[] = {"tsdaos-dfuse", "-o", options, NULL};
  struct fuse_args args = FUSE_ARGS_INIT(options != NULL && options[0] != '\0' ? 3 : 1, fuse_argv);
  s->se = fuse_session_new(&args, &ll_ops, sizeof(ll_ops), s);
  fuse_opt_free_args(&args);
  free(options);
  if (s->se == NULL) {
    free(mount_point);
    free(s);
    napi_throw_error(env, "EINVAL", "fuse_session_new failed (bad mount options?)");
    return NULL;
  }
  if (fuse_session_mount(s->se, mount_point) != 0) {
    free(mount_point);
    fuse_session_destroy(s->se);
    free(s);
    napi_throw_error(env, "EIO", "fuse_session_mount failed");
    return NULL;
  }
  free(mount_point);
  s->mounted = 1;
  int fd = fuse_session_fd(s->se);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  CHECK(napi_create_reference(env, argv[2], 1, &s->dispatch));
  CHECK(napi_create_reference(env, argv[3], 1, &s->on_exit));
  CHECK(napi_create_reference(env, argv[4], 1, &s->caller_ref));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_reference(env, resource, 1, &s->resource));
  CHECK(napi_create_string_utf8(env, "tsdaos:fuse", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &s->async_context));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  s->poll_open = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  s->polling = 1;
  napi_value external;
  CHECK(napi_create_external(env, s, finalize_session, NULL, &external));
  return external;
}

static session_t *session_arg(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return (session_t *) data;
}

/* close(session): stops reading, unmounts (if still mounted) and frees the session. Idempotent. */
static napi_value ll_close_session(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = session_arg(env, argv[0]);
  if (s == NULL || s->se == NULL) return NULL;
  close_poll(s);
  if (s->mounted) fuse_session_unmount(s->se);
  s->mounted = 0;
  fuse_session_destroy(s->se);
  s->se = NULL;
  return NULL;
}

/* ---- replies ------------------------------------------------------------------------------------ */

static fuse_req_t req_arg(napi_env env, napi_value value) {
  double pointer = 0;
  napi_get_value_double(env, value, &pointer);
  return (fuse_req_t) (uintptr_t) pointer;
}

static double double_arg(napi_env env, napi_value value) {
  double out = 0;
  napi_get_value_double(env, value, &out);
  return out;
}

/* attrs: Float64Array [mode, nlink, uid, gid, rdev, size, blksize, blocks, atime s, ns, mtime s, ns, ctime s, ns]; ino a BigInt. */
static int stat_arg(napi_env env, napi_value ino, napi_value attrs, struct stat *st) {
  memset(st, 0, sizeof(*st));
  uint64_t value;
  bool lossless;
  if (napi_get_value_bigint_uint64(env, ino, &value, &lossless) != napi_ok) return -1;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, attrs, &type, &length, &data, NULL, NULL) != napi_ok) return -1;
  if (type != napi_float64_array || length < 14) return -1;
  const double *a = (const double *) data;
  st->st_ino = value;
  st->st_mode = (mode_t) a[0];
  st->st_nlink = (nlink_t) a[1];
  st->st_uid = (uid_t) a[2];
  st->st_gid = (gid_t) a[3];
  st->st_rdev = (dev_t) a[4];
  st->st_size = (off_t) a[5];
  st->st_blksize = (blksize_t) a[6];
  st->st_blocks = (blkcnt_t) a[7];
  st->st_atim.tv_sec = (time_t) a[8];
  st->st_atim.tv_nsec = (long) a[9];
  st->st_mtim.tv_sec = (time_t) a[10];
  st->st_mtim.tv_nsec = (long) a[11];
  st->st_ctim.tv_sec = (time_t) a[12];
  st->st_ctim.tv_nsec = (long) a[13];
  return 0;
}

#define REPLY_ARGS(n)                                                       \
  CALL_ARGS(n, "missing reply arguments");                                  \
  fuse_req_t req = req_arg(env, argv[0])

static napi_value result_of(napi_env env, int status) {
  napi_value out;
  napi_create_int32(env, status, &out);
  return out;
}

/* replyErr(req, errno): errno 0 answers success for requests that carry no data (flush, unlink, ...). */
static napi_value reply_err(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  return result_of(env, fuse_reply_err(req, (int) double_arg(env, argv[1])));
}

/* entry(nodeid, generation, ino, attrs, attrTimeout, entryTimeout): nodeid 0 is a negative entry. */
static int entry_arg(napi_env env, napi_value *argv, struct fuse_entry_param *entry) {
  memset(entry, 0, sizeof(*entry));
  entry->ino = (fuse_ino_t) double_arg(env, argv[0]);
  entry->generation = (uint64_t) double_arg(env, argv[1]);
  if (entry->ino != 0 && stat_arg(env, argv[2], argv[3], &entry->attr) != 0) return -1;
  entry->attr_timeout = double_arg(env, argv[4]);
  entry->entry_timeout = double_arg(env, argv[5]);
  return 0;
}

/* replyEntry(req, nodeid, generation, ino, attrs, attrTimeout, entryTimeout) */
static napi_value reply_entry(napi_env env, napi_callback_info info) {
  REPLY_ARGS(7);
  struct fuse_entry_param entry;
  if (entry_arg(env, argv + 1, &entry) != 0) return result_of(env, fuse_reply_err(req, EIO));
  return result_of(env, fuse_reply_entry(req, &entry));
}

static void file_info_arg(napi_env env, napi_value fh, napi_value flags, struct fuse_file_info *fi) {
  memset(fi, 0, sizeof(*fi));
  fi->fh = (uint64_t) double_arg(env, fh);
  int bits = (int) double_arg(env, flags);
  fi->direct_io = (bits & 1) != 0;
  fi->keep_cache = (bits & 2) != 0;
  fi->nonseekable = (bits & 4) != 0;
  fi->cache_readdir = (bits & 8) != 0;
  fi->noflush = (bits & 16) != 0;
}

/* replyCreate(req, nodeid, generation, ino, attrs, attrTimeout, entryTimeout, fh, openFlags) */
static napi_value reply_create(napi_env env, napi_callback_info info) {
  REPLY_ARGS(9);
  struct fuse_entry_param entry;
  if (entry_arg(env, argv + 1, &entry) != 0) return result_of(env, fuse_reply_err(req, EIO));
  struct fuse_file_info fi;
  file_info_arg(env, argv[7], argv[8], &fi);
  return result_of(env, fuse_reply_create(req, &entry, &fi));
}

/* replyAttr(req, ino, attrs, timeout) */
static napi_value reply_attr(napi_env env, napi_callback_info info) {
  REPLY_ARGS(4);
  struct stat st;
  if (stat_arg(env, argv[1], argv[2], &st) != 0) return result_of(env, fuse_reply_err(req, EIO));
  return result_of(env, fuse_reply_attr(req, &st, double_arg(env, argv[3])));
}

/* replyOpen(req, fh, flags): flags 1 direct_io, 2 keep_cache, 4 nonseekable, 8 cache_readdir, 16 noflush. */
static napi_value reply_open(napi_env env, napi_callback_info info) {
  REPLY_ARGS(3);
  struct fuse_file_info fi;
  file_info_arg(env, argv[1], argv[2], &fi);
  return result_of(env, fuse_reply_open(req, &fi));
}

/* replyBuf(req, buffer, length): the first `length` bytes of a Buffer/Uint8Array. */
static napi_value reply_buf(napi_env env, napi_callback_info info) {
  REPLY_ARGS(3);
  void *data = NULL;
  size_t size = 0;
  bool is_typedarray = false;
  napi_is_typedarray(env, argv[1], &is_typedarray);
  if (is_typedarray) {
    napi_typedarray_type type;
    CHECK(napi_get_typedarray_info(env, argv[1], &type, &size, &data, NULL, NULL));
  }
  size_t length = (size_t) double_arg(env, argv[2]);
  if (length > size) length = size;
  return result_of(env, fuse_reply_buf(req, (const char *) data, length));
}

/* Parts one answer may be made of (replyParts). */
#define REPLY_PARTS_MAX 64

/*
 * replyParts(req, parts): the parts one after the other, each a Uint8Array (bytes in memory) or a
 * Float64Array [fd, position, length] (bytes of an open file, spliced to the kernel where it can be).
 */
static napi_value reply_parts(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[1], &count));
  if (count == 0) return result_of(env, fuse_reply_buf(req, NULL, 0));
  if (count > REPLY_PARTS_MAX) return result_of(env, fuse_reply_err(req, EIO));
  struct fuse_bufvec *bufv = calloc(1, sizeof(struct fuse_bufvec) + (count - 1) * sizeof(struct fuse_buf));
  if (bufv == NULL) return result_of(env, fuse_reply_err(req, ENOMEM));
  bufv->count = count;
  for (uint32_t i = 0; i < count; i++) {
    napi_value part;
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    bool is_typedarray = false;
    if (napi_get_element(env, argv[1], i, &part) != napi_ok || napi_is_typedarray(env, part, &is_typedarray) != napi_ok || !is_typedarray ||
        napi_get_typedarray_info(env, part, &type, &length, &data, NULL, NULL) != napi_ok) {
      free(bufv);
      return result_of(env, fuse_reply_err(req, EIO));
    }
    struct fuse_buf *buf = &bufv->buf[i];
    if (type == napi_uint8_array) {
      buf->mem = data;
      buf->size = length;
    } else if (type == napi_float64_array && length == 3) {
      const double *place = (const double *) data;
      buf->flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
      buf->fd = (int) place[0];
      buf->pos = (off_t) place[1];
      buf->size = (size_t) place[2];
    } else {
      free(bufv);
      return result_of(env, fuse_reply_err(req, EIO));
    }
  }
  int res = fuse_reply_data(req, bufv, FUSE_BUF_SPLICE_MOVE);
  free(bufv);
  return result_of(env, res);
}

/*
 * adviseWillNeed(fd, position, length) -> 0 or an errno: asks the kernel to start reading that range of an
 * open file into its page cache (POSIX_FADV_WILLNEED), so a splice of it later does not wait for the disk
 * on this thread. Nothing is copied; a range already cached costs one system call.
 */
static napi_value advise_will_need(napi_env env, napi_callback_info info) {
  CALL_ARGS(3, "adviseWillNeed(fd, position, length)");
  int fd = (int) double_arg(env, argv[0]);
  off_t position = (off_t) double_arg(env, argv[1]);
  off_t length = (off_t) double_arg(env, argv[2]);
  return result_of(env, posix_fadvise(fd, position, length, POSIX_FADV_WILLNEED));
}

/* replyWrite(req, count) */
static napi_value reply_write(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  return result_of(env, fuse_reply_write(req, (size_t) double_arg(env, argv[1])));
}

/* replyReadlink(req, target) */
static napi_value reply_readlink(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  char *target = string_arg(env, argv[1]);
  if (target == NULL) return result_of(env, fuse_reply_err(req, ENOMEM));
  int status = fuse_reply_readlink(req, target);
  free(target);
  return result_of(env, status);
}

/* replyStatfs(req, Float64Array [bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax]) */
static napi_value reply_statfs(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_float64_array || length < 11) return result_of(env, fuse_reply_err(req, EIO));
  const double *a = (const double *) data;
  struct statvfs st;
  memset(&st, 0, sizeof(st));
  st.f_bsize = (unsigned long) a[0];
  st.f_frsize = (unsigned long) a[1];
  st.f_blocks = (fsblkcnt_t) a[2];
  st.f_bfree = (fsblkcnt_t) a[3];
  st.f_bavail = (fsblkcnt_t) a[4];
  st.f_files = (fsfilcnt_t) a[5];
  st.f_ffree = (fsfilcnt_t) a[6];
  st.f_favail = (fsfilcnt_t) a[7];
  st.f_fsid = (unsigned long) a[8];
  st.f_flag = (unsigned long) a[9];
  st.f_namemax = (unsigned long) a[10];
  return result_of(env, fuse_reply_statfs(req, &st));
}

/* replyXattr(req, size): the size a getxattr/listxattr value would need (size queries). */
static napi_value reply_xattr(napi_env env, napi_callback_info info) {
  REPLY_ARGS(2);
  return result_of(env, fuse_reply_xattr(req, (size_t) double_arg(env, argv[1])));
}

/* ---- module ------------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"open", NULL, ll_open_session, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, ll_close_session, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyErr", NULL, reply_err, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyEntry", NULL, reply_entry, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyCreate", NULL, reply_create, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyAttr", NULL, reply_attr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyOpen", NULL, reply_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyBuf", NULL, reply_buf, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyParts", NULL, reply_parts, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adviseWillNeed", NULL, advise_will_need, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyWrite", NULL, reply_write, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyReadlink", NULL, reply_readlink, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyStatfs", NULL, reply_statfs, NULL, NULL, NULL, napi_enumerable, NULL},
    {"replyXattr", NULL, reply_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
