{
  "targets": [
    {
      "target_name": "fuse_lowlevel",
      "sources": ["fuse-lowlevel.c"],
      "cflags": ["<!@(pkg-config --cflags fuse3)", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "libraries": ["<!@(pkg-config --libs fuse3)"]
    }
  ]
}
