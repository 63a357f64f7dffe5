//! The cluster section: the latency workload through HAProxy (`deploy/haproxy.cfg`) in front of
//! three nodes on one PostgreSQL, against one node on SQLite, on the same machine: the figure is
//! the cost of carrying connections between nodes and of PostgreSQL against SQLite, not a
//! scaling claim (every process shares the same two cores). Then the time an agency takes to be
//! served again through HAProxy after the node serving it is SIGKILLed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::load::{Percentiles, Swarm, percentiles, prepare};
use crate::targets::{Kind, Minted, Target, use_database};

/// One setup's run of the workload.
pub struct Run {
    pub latency: Percentiles,
    /// CPU time of the server processes (summed over the nodes), per second, of one core.
    pub cpu: f64,
    /// Edits delivered per second.
    pub rate: f64,
}

pub struct Cluster {
    pub one: Run,
    pub three: Run,
    /// Connections and requests the nodes carried to the node serving their agency.
    pub carried: u64,
    /// Milliseconds from each SIGKILL of the node serving an agency to its next answer through
    /// HAProxy, sorted.
    pub failovers: Vec<f64>,
}

async fn run(
    nodes: &[Target],
    addr: std::net::SocketAddr,
    logins: &[Minted],
    docs: &[samod::DocumentId],
    secs: u64,
) -> anyhow::Result<Run> {
    let swarm = Swarm::connect_as(true, addr, logins, docs).await?;
    swarm.run(crate::WRITER_RATE, Duration::from_secs(2)).await; // warm up
    let cpu = || nodes.iter().map(Target::cpu_secs).sum::<f64>();
    let before = cpu();
    let (samples, edits) = swarm.run(crate::WRITER_RATE, Duration::from_secs(secs)).await;
    let used = (cpu() - before) / secs as f64;
    swarm.stop().await;
    Ok(Run { latency: percentiles(samples), cpu: used, rate: edits as f64 / secs as f64 })
}

/// The node of `nodes` whose lease holds `agency` now.
fn holder(pg: &prongsai_testpg::Cluster, nodes: &[Target], agency: &str) -> anyhow::Result<usize> {
    let node = pg
        .psql(
            "prongsai",
            &format!(
                "SELECT node FROM agency_leases WHERE agency_id = '{agency}'
                 AND expires_at > (extract(epoch from clock_timestamp()) * 1000)::BIGINT"
            ),
        )
        .context("reading the leases")?;
    // A node's default name ends in the address it serves.
    nodes
        .iter()
        .position(|n| node.ends_with(&n.addr.to_string()))
        .with_context(|| format!("no node holds {agency} ({node:?})"))
}

pub async fn metric(http: &reqwest::Client, target: &Target, name: &str) -> u64 {
    let Ok(answer) = http.get(format!("{}metrics", target.http_url())).send().await else { return 0 };
    let text = answer.text().await.unwrap_or_default();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

pub async fn cluster(scratch: &Path, clients: usize, secs: u64, kills: usize) -> anyhow::Result<Cluster> {
    let groups = (clients / crate::GROUP).max(1);
    eprintln!("cluster: {clients} clients on one node (SQLite)");
    let (target, logins, docs) = prepare(Kind::Prongsai, &scratch.join("cluster-one"), groups, clients).await?;
    let one = run(std::slice::from_ref(&target), target.addr, &logins, &docs, secs).await;
    target.stop().await;
    let one = one?;

    let pg = prongsai_testpg::Cluster::start().context("a PostgreSQL cluster")?;
    pg.create_database("prongsai").context("its database")?;
    use_database(Some(pg.url("prongsai")));
    let result = async {
        eprintln!("cluster: {clients} clients through HAProxy, three nodes (PostgreSQL)");
        let data = scratch.join("cluster-three");
        let (first, logins, docs) = prepare(Kind::Prongsai, &data, groups, clients).await?;
        let mut nodes = vec![first];
        for _ in 0..2 {
            nodes.push(Target::start(Kind::Prongsai, &data).await?);
        }
        let addrs: Vec<_> = nodes.iter().map(|n| n.addr).collect();
        let lb = prongsai_tests::Haproxy::start_on(&addrs).await;
        let three = run(&nodes, lb.addr, &logins, &docs, secs).await?;
        prongsai_client::api::install_crypto();
        let http = reqwest::Client::new();
        let mut carried = 0;
        for node in &nodes {
            carried += metric(&http, node, "prongsai_carried_out_total").await;
        }

        // The agency of the first group: its holder is killed, and the agency asked for through
        // HAProxy until it answers; then the node starts again on its address.
        let url = format!("http://{}/api/agencies/bench0/years", lb.addr);
        let mut failovers = Vec::new();
        for k in 0..kills {
            eprintln!("cluster: failover {}/{kills}", k + 1);
            let deadline = Instant::now() + Duration::from_secs(60);
            // The agency is served (a request makes some node take it).
            while !http
                .get(&url)
                .bearer_auth(&logins[0].token)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                anyhow::ensure!(Instant::now() < deadline, "bench0 is not served");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let victim = holder(&pg, &nodes, "bench0")?;
            let address = nodes[victim].addr.to_string();
            let killed = nodes.remove(victim);
            killed.kill().await;
            let at = Instant::now();
            loop {
                let answer = http.get(&url).bearer_auth(&logins[0].token).timeout(Duration::from_secs(2)).send().await;
                if answer.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                anyhow::ensure!(at.elapsed() < Duration::from_secs(60), "bench0 was not served again within a minute");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            failovers.push(at.elapsed().as_secs_f64() * 1000.0);
            nodes.insert(victim, Target::start_on(Kind::Prongsai, &data, &address, &[]).await?);
        }
        failovers.sort_by(f64::total_cmp);
        for node in nodes {
            node.stop().await;
        }
        anyhow::Ok((three, carried, failovers))
    }
    .await;
    use_database(None);
    let (three, carried, failovers) = result?;
    Ok(Cluster { one, three, carried, failovers })
}
