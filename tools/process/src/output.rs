//! Where a program's standard output and error go while it runs, and how
//! they are read back when it ends.

use std::ffi::CStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::FromRawFd;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};

/// Where a program's standard output and error go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Pipes that threads of ours read to the end.
    Captured,
    /// Files without a name, read back when the program ends: a program
    /// that writes without pause never waits for a reader, and no file is
    /// left behind.
    Files,
    /// Standard output is a pipe for the caller to read
    /// ([`Running::take_stdout`](crate::Running::take_stdout)), e.g. for
    /// the line that says where a server listens; standard error is
    /// captured.
    StdoutPiped,
}

/// The output of a started program, on its way to us.
pub(crate) enum Collecting {
    Threads {
        stdout: Option<JoinHandle<String>>,
        stderr: JoinHandle<String>,
    },
    Files {
        stdout: File,
        stderr: File,
    },
}

/// Points `command`'s standard output and error where `output` says.
/// Returns the files, for [`Output::Files`].
pub(crate) fn prepare(
    command: &mut Command,
    output: Output,
) -> io::Result<Option<(File, File)>> {
    match output {
        Output::Captured | Output::StdoutPiped => {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            Ok(None)
        }
        Output::Files => {
            let stdout = anonymous_file(c"stdout")?;
            let stderr = anonymous_file(c"stderr")?;
            command
                .stdout(stdout.try_clone()?)
                .stderr(stderr.try_clone()?);
            Ok(Some((stdout, stderr)))
        }
    }
}

/// Starts reading what the started `child` writes.
pub(crate) fn collect(
    child: &mut Child,
    output: Output,
    files: Option<(File, File)>,
) -> Collecting {
    if let Some((stdout, stderr)) = files {
        return Collecting::Files { stdout, stderr };
    }
    let stdout = match output {
        Output::StdoutPiped => None,
        _ => child.stdout.take().map(read_all),
    };
    Collecting::Threads {
        stdout,
        stderr: read_all(child.stderr.take().expect("stderr is piped")),
    }
}

impl Collecting {
    /// Everything written, once the program has ended: (stdout, stderr).
    /// Output the caller read itself counts as empty.
    pub(crate) fn finish(self) -> io::Result<(String, String)> {
        match self {
            Collecting::Threads { stdout, stderr } => {
                let stdout = match stdout {
                    Some(thread) => thread.join().unwrap(),
                    None => String::new(),
                };
                Ok((stdout, stderr.join().unwrap()))
            }
            Collecting::Files {
                mut stdout,
                mut stderr,
            } => Ok((read_back(&mut stdout)?, read_back(&mut stderr)?)),
        }
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn read_back(file: &mut File) -> io::Result<String> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A file in memory with no name in any directory (`memfd_create`): the
/// kernel frees it when the last descriptor closes, so nothing is left to
/// clean up, whatever the filesystems of this machine.
fn anonymous_file(name: &CStr) -> io::Result<File> {
    // SAFETY: `name` is a valid C string; the call returns a new
    // descriptor that nothing else owns.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    Ok(unsafe { File::from_raw_fd(fd) })
}
