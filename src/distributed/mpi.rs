//! [`Mpi`]: the [`Collective`] operations over an MPI communicator (`mpi` feature).

use std::sync::Mutex;
use std::thread::{self, ThreadId};

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};

use super::Collective;
use crate::error::{Error, Result};

/// An MPI communicator (of the `mpi` crate) as the transport of a
/// [`DistributedSum`](super::DistributedSum): `MPI_Allgather` and `MPI_Allgatherv`.
///
/// ```no_run
/// use gradus::distributed::Mpi;
///
/// let universe = mpi::initialize().expect("MPI initialised once");
/// let world = Mpi::new(universe.world());
/// ```
///
/// MPI is called only from the thread that built the `Mpi` (the thread that runs the loop); a
/// call from another thread returns [`Error::Distributed`] instead. The buffers of the counts
/// are kept, so that a run allocates nothing per evaluation.
pub struct Mpi {
    comm: Handle,
    owner: ThreadId,
    rank: usize,
    size: usize,
    /// Counts and displacements of `MPI_Allgatherv`, as MPI's `int`s.
    partition: Mutex<(Vec<i32>, Vec<i32>)>,
}

/// The communicator, used only on the thread that built the [`Mpi`].
struct Handle(SimpleCommunicator);

// SAFETY: an MPI communicator is a handle that MPI lets any thread use when the calls are not
// concurrent. `Mpi` calls MPI only after checking that the calling thread is the one that built
// it, so the handle is never used from two threads; moving or sharing the handle between
// threads without using it does nothing.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

impl Mpi {
    /// The transport over `comm` (usually `universe.world()`).
    pub fn new(comm: SimpleCommunicator) -> Self {
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        Mpi {
            comm: Handle(comm),
            owner: thread::current().id(),
            rank,
            size,
            partition: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    /// The communicator, for the user's own messages (checkpoints, barriers), on the thread
    /// that built the `Mpi`; `None` on any other thread.
    pub fn communicator(&self) -> Option<&SimpleCommunicator> {
        (thread::current().id() == self.owner).then_some(&self.comm.0)
    }

    fn comm(&self) -> Result<&SimpleCommunicator> {
        self.communicator().ok_or_else(|| Error::Distributed {
            rank: Some(self.rank),
            reason: "MPI was called from another thread than the one that created the \
                     transport: evaluate the distributed sum on that thread"
                .into(),
        })
    }
}

/// A count as MPI's `int`.
fn count(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::Distributed {
        rank: None,
        reason: format!(
            "a message of {n} values is beyond MPI's counts (2^31 - 1): use fewer features \
             per process or a larger block"
        ),
    })
}

impl Collective for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, send: &[u64], recv: &mut [u64]) -> Result<()> {
        self.comm()?.all_gather_into(send, recv);
        Ok(())
    }

    fn all_gather_varcount(&self, send: &[f64], counts: &[usize], recv: &mut [f64]) -> Result<()> {
        let comm = self.comm()?;
        let mut partition = self.partition.lock().unwrap_or_else(|e| e.into_inner());
        let (c, d) = &mut *partition;
        c.clear();
        d.clear();
        let mut at = 0usize;
        for &n in counts {
            c.push(count(n)?);
            d.push(count(at)?);
            at += n;
        }
        let mut partition = PartitionMut::new(recv, &c[..], &d[..]);
        comm.all_gather_varcount_into(send, &mut partition);
        Ok(())
    }
}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpi")
            .field("rank", &self.rank)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}
