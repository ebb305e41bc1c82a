//! The job queue behaves the same on SQLite and on a real PostgreSQL.

use std::collections::HashSet;

use demail_store::testing::both_backends;
use demail_store::{ControlRefused, JobControl, JobState, NewJob, Outcome, Store};

const NOW: i64 = 1_800_000_000;

fn new_job(token_hash: &str, state: JobState) -> NewJob<'_> {
    NewJob {
        token_hash,
        spec: "{\"spec\":true}",
        sealed: Some("sealed-bytes"),
        state,
        max_attempts: 2,
        now: NOW,
        expires_at: NOW + 3600,
    }
}

fn err(store: &Store) -> impl Fn(demail_store::StoreError) -> String + '_ {
    move |e| format!("{:?}: {e}", store.backend())
}

#[tokio::test]
async fn a_job_goes_from_draft_to_done_and_its_credentials_are_erased_on_both_backends() -> Result<(), String>
{
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let id = store.create_job(&new_job("h1", JobState::Draft)).await.map_err(&e)?;
        // A draft is not claimable.
        assert_eq!(store.claim_job("w1", NOW, NOW + 30).await.map_err(&e)?, None);
        assert_eq!(
            store.control_job(id, JobControl::Start, NOW, NOW + 7200).await.map_err(&e)?,
            Ok(JobState::Queued)
        );
        // A second start is refused with the state it is in.
        assert_eq!(
            store.control_job(id, JobControl::Start, NOW, NOW + 7200).await.map_err(&e)?,
            Err(ControlRefused::WrongState(JobState::Queued))
        );
        let job = store.claim_job("w1", NOW, NOW + 30).await.map_err(&e)?.ok_or("not claimed")?;
        assert_eq!((job.id, job.state, job.attempts), (id, JobState::Running, 1));
        assert_eq!(job.sealed.as_deref(), Some("sealed-bytes"));
        assert_eq!(job.expires_at, NOW + 7200, "starting sets the retention");
        assert_eq!(store.claim_job("w2", NOW, NOW + 30).await.map_err(&e)?, None, "claimed once");

        assert_eq!(store.heartbeat_job(id, "w1", NOW + 10, NOW + 40).await.map_err(&e)?, Some(None));
        assert_eq!(store.heartbeat_job(id, "w2", NOW + 10, NOW + 40).await.map_err(&e)?, None, "not w2's");
        assert!(store.save_job_progress(id, "w1", "{\"p\":1}", NOW + 11).await.map_err(&e)?);
        let done = Outcome::Final { state: JobState::Done, report: Some("{\"r\":1}"), error: None };
        assert!(store.end_job_run(id, "w1", &done, NOW + 12).await.map_err(&e)?);
        let job = store.job_by_token_hash("h1", NOW + 13).await.map_err(&e)?.ok_or("gone")?;
        assert_eq!(job.state, JobState::Done);
        assert_eq!(job.sealed, None, "credentials erased at the end");
        assert_eq!(job.progress.as_deref(), Some("{\"p\":1}"));
        assert_eq!(job.report.as_deref(), Some("{\"r\":1}"));
        assert_eq!(job.lease_owner, None);
        // The link expires with the retention, then the row is purged.
        assert_eq!(store.job_by_token_hash("h1", NOW + 7200).await.map_err(&e)?, None);
        assert_eq!(store.job_by_token_hash("other", NOW).await.map_err(&e)?, None);
        assert_eq!(store.purge_expired_jobs(NOW + 7200).await.map_err(&e)?, 1);
        assert_eq!(store.job(id).await.map_err(&e)?, None);
    }
    Ok(())
}

#[tokio::test]
async fn an_expired_lease_is_requeued_then_failed_after_the_last_attempt_on_both_backends()
-> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let id = store.create_job(&new_job("h2", JobState::Queued)).await.map_err(&e)?;
        store.claim_job("dead", NOW, NOW + 5).await.map_err(&e)?.ok_or("claim 1")?;
        assert_eq!(store.requeue_expired_leases(NOW + 5).await.map_err(&e)?, 0, "lease still valid");
        assert_eq!(store.requeue_expired_leases(NOW + 6).await.map_err(&e)?, 1);
        // The dead worker's late writes are refused.
        assert!(!store.save_job_progress(id, "dead", "{}", NOW + 6).await.map_err(&e)?);
        let job = store.claim_job("alive", NOW + 6, NOW + 11).await.map_err(&e)?.ok_or("claim 2")?;
        assert_eq!((job.attempts, job.lease_owner.as_deref()), (2, Some("alive")));
        let done = Outcome::Final { state: JobState::Done, report: None, error: None };
        assert!(!store.end_job_run(id, "dead", &done, NOW + 7).await.map_err(&e)?);
        // Second attempt dies too: no attempts left, the job fails and loses its credentials.
        assert_eq!(store.requeue_expired_leases(NOW + 12).await.map_err(&e)?, 1);
        let job = store.job(id).await.map_err(&e)?.ok_or("gone")?;
        assert_eq!(
            (job.state, job.sealed, job.error.as_deref()),
            (JobState::Failed, None, Some("worker-lost"))
        );
    }
    Ok(())
}

#[tokio::test]
async fn retries_wait_for_their_back_off_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let id = store.create_job(&new_job("h3", JobState::Queued)).await.map_err(&e)?;
        store.claim_job("w", NOW, NOW + 30).await.map_err(&e)?.ok_or("claim")?;
        let retry = Outcome::Retry { run_after: NOW + 60, error: "network" };
        assert!(store.end_job_run(id, "w", &retry, NOW + 1).await.map_err(&e)?);
        assert_eq!(store.claim_job("w", NOW + 59, NOW + 90).await.map_err(&e)?, None, "still backing off");
        store.claim_job("w", NOW + 60, NOW + 90).await.map_err(&e)?.ok_or("claim after back-off")?;
        assert!(store.end_job_run(id, "w", &retry, NOW + 61).await.map_err(&e)?);
        let job = store.job(id).await.map_err(&e)?.ok_or("gone")?;
        assert_eq!(job.state, JobState::Failed, "two attempts were allowed");
        assert_eq!(job.error.as_deref(), Some("network"));
    }
    Ok(())
}

#[tokio::test]
async fn pause_resume_and_cancel_follow_the_state_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let id = store.create_job(&new_job("h4", JobState::Queued)).await.map_err(&e)?;
        let ctl = |c| store.control_job(id, c, NOW, NOW + 3600);
        assert_eq!(ctl(JobControl::Pause).await.map_err(&e)?, Ok(JobState::Paused));
        assert_eq!(
            ctl(JobControl::Pause).await.map_err(&e)?,
            Err(ControlRefused::WrongState(JobState::Paused))
        );
        assert_eq!(ctl(JobControl::Resume).await.map_err(&e)?, Ok(JobState::Queued));
        store.claim_job("w", NOW, NOW + 30).await.map_err(&e)?.ok_or("claim")?;
        // Running: the request waits for the worker's next heartbeat.
        assert_eq!(ctl(JobControl::Cancel).await.map_err(&e)?, Ok(JobState::Running));
        assert_eq!(
            store.heartbeat_job(id, "w", NOW + 1, NOW + 31).await.map_err(&e)?,
            Some(Some(JobControl::Cancel))
        );
        assert!(
            store.end_job_run(id, "w", &Outcome::Stopped(JobState::Cancelled), NOW + 2).await.map_err(&e)?
        );
        let job = store.job(id).await.map_err(&e)?.ok_or("gone")?;
        assert_eq!((job.state, job.sealed), (JobState::Cancelled, None));
        assert_eq!(
            ctl(JobControl::Resume).await.map_err(&e)?,
            Err(ControlRefused::WrongState(JobState::Cancelled))
        );
        assert_eq!(
            store.control_job(id + 1000, JobControl::Cancel, NOW, NOW).await.map_err(&e)?,
            Err(ControlRefused::NotFound)
        );
    }
    Ok(())
}

#[tokio::test]
async fn unsealed_jobs_of_a_stopped_single_node_wait_for_credentials_on_both_backends() -> Result<(), String>
{
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let job = NewJob { sealed: None, ..new_job("h5", JobState::Queued) };
        let id = store.create_job(&job).await.map_err(&e)?;
        let sealed_id = store.create_job(&new_job("h6", JobState::Queued)).await.map_err(&e)?;
        assert_eq!(store.orphan_unsealed_jobs(NOW).await.map_err(&e)?, 1);
        assert_eq!(store.job(id).await.map_err(&e)?.map(|j| j.state), Some(JobState::NeedsCredentials));
        assert_eq!(store.job(sealed_id).await.map_err(&e)?.map(|j| j.state), Some(JobState::Queued));
        assert!(store.requeue_with_credentials(id, None, NOW).await.map_err(&e)?);
        assert!(!store.requeue_with_credentials(id, None, NOW).await.map_err(&e)?, "only once");
        assert_eq!(store.job(id).await.map_err(&e)?.map(|j| j.state), Some(JobState::Queued));
    }
    Ok(())
}

#[tokio::test]
async fn twenty_queued_jobs_are_each_claimed_exactly_once_by_racing_workers_on_both_backends()
-> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = err(store);
        let mut ids = HashSet::new();
        for i in 0..20 {
            ids.insert(store.create_job(&new_job(&format!("race{i}"), JobState::Queued)).await.map_err(&e)?);
        }
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while let Some(job) = store.claim_job(&format!("w{w}"), NOW, NOW + 30).await? {
                        mine.push(job.id);
                    }
                    Ok::<_, demail_store::StoreError>(mine)
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for w in workers {
            claimed.extend(w.await.map_err(|x| x.to_string())?.map_err(&e)?);
        }
        claimed.sort_unstable();
        let mut expected: Vec<i64> = ids.into_iter().collect();
        expected.sort_unstable();
        assert_eq!(claimed, expected, "{:?}", store.backend());
    }
    Ok(())
}
