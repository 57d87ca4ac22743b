//! The plots, drawn from a data file as SVG with plotters: only from the
//! data, so that re-running the harness redraws them.

use std::error::Error;
use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::data::Data;

/// One line per contender: the medians of `metric` against size.
struct Chart<'a> {
    file: &'a str,
    title: String,
    workload: &'a str,
    metric: &'a str,
    /// Multiplies the metric before plotting (units).
    scale: f64,
    x_label: &'a str,
    y_label: &'a str,
    log: bool,
    /// Where the legend goes: where the lines are not.
    legend: SeriesLabelPosition,
}

const COLORS: [RGBColor; 9] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
];

/// Draws every plot the data has values for into `dir`; returns the file
/// names.
pub fn draw(data: &Data, dir: &Path) -> io::Result<Vec<String>> {
    let machine =
        format!("{}, {} cores", data.machine.cpu_model, data.machine.cores);
    let charts = [
        Chart {
            file: "sleep_wall.svg",
            title: "start / sleep / end: client wall time".into(),
            workload: "sleep",
            metric: "wall_s",
            scale: 1.0,
            x_label: "connections",
            y_label: "seconds",
            log: false,
            legend: SeriesLabelPosition::UpperLeft,
        },
        Chart {
            file: "sleep_cpu.svg",
            title: "start / sleep / end: server CPU time".into(),
            workload: "sleep",
            metric: "server_cpu_s",
            scale: 1.0,
            x_label: "connections",
            y_label: "seconds",
            log: false,
            legend: SeriesLabelPosition::UpperLeft,
        },
        Chart {
            file: "sleep_rss.svg",
            title: "start / sleep / end: server peak RSS".into(),
            workload: "sleep",
            metric: "peak_rss_kib",
            scale: 1.0 / 1024.0,
            x_label: "connections",
            y_label: "MiB",
            log: false,
            legend: SeriesLabelPosition::UpperLeft,
        },
        Chart {
            file: "idle_cpu.svg",
            title: "one echo among idle connections: server CPU per round trip"
                .into(),
            workload: "idle",
            metric: "server_cpu_us_per_rt",
            scale: 1.0,
            x_label: "idle connections",
            y_label: "microseconds",
            log: true,
            legend: SeriesLabelPosition::UpperLeft,
        },
        Chart {
            file: "wakeup.svg",
            title: "one wake-up among idle descriptors".into(),
            workload: "wakeup",
            metric: "us_per_wakeup",
            scale: 1.0,
            x_label: "idle descriptors",
            y_label: "microseconds",
            log: true,
            legend: SeriesLabelPosition::UpperLeft,
        },
        Chart {
            file: "memory.svg",
            title: "memory per sleeping thread or task".into(),
            workload: "memory",
            metric: "bytes_per_sleeper",
            scale: 1.0,
            x_label: "sleepers",
            y_label: "bytes of RSS each",
            log: true,
            legend: SeriesLabelPosition::UpperRight,
        },
    ];
    let mut files = Vec::new();
    for chart in &charts {
        if lines(data, chart, &machine, &dir.join(chart.file))
            .map_err(|e| io::Error::other(e.to_string()))?
        {
            files.push(chart.file.to_string());
        }
    }
    let rounds = data.settings.cpu_work_rounds;
    let cpu_title = format!(
        "echo with {rounds} rounds of work per message: round trips per second"
    );
    let echo = [
        (
            "echo",
            "echo_cpu.svg",
            "echo: server CPU per round trip",
            "microseconds",
            vec![
                ("total", "server_cpu_us_per_rt"),
                ("user", "server_user_us_per_rt"),
                ("system", "server_system_us_per_rt"),
            ],
        ),
        (
            "echo",
            "echo_rate.svg",
            "echo: round trips per second",
            "round trips per second",
            vec![("round trips", "round_trips_per_s")],
        ),
        (
            "cpu",
            "cpu_rate.svg",
            &cpu_title,
            "round trips per second",
            vec![("round trips", "round_trips_per_s")],
        ),
    ];
    for (workload, file, title, y_label, metrics) in echo {
        if by_contender(
            data,
            workload,
            title,
            y_label,
            &metrics,
            &machine,
            &dir.join(file),
        )
        .map_err(|e| io::Error::other(e.to_string()))?
        {
            files.push(file.to_string());
        }
    }
    Ok(files)
}

type Lines = Vec<(String, Vec<(f64, f64)>)>;

fn lines(
    data: &Data,
    chart: &Chart,
    machine: &str,
    path: &Path,
) -> Result<bool, Box<dyn Error>> {
    let mut series: Lines = Vec::new();
    for contender in data.contenders(chart.workload) {
        let points: Vec<(f64, f64)> = data
            .sizes(chart.workload)
            .into_iter()
            .filter_map(|size| {
                let value = data
                    .series(chart.workload, &contender, size)?
                    .median
                    .get(chart.metric)?;
                Some((size as f64, value * chart.scale))
            })
            .filter(|&(_, y)| !chart.log || y > 0.0)
            .collect();
        if !points.is_empty() {
            series.push((contender, points));
        }
    }
    if series.is_empty() {
        return Ok(false);
    }
    let all = series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!("{} ({machine})", chart.title);
    if chart.log {
        let x = (x0 / 1.5)..(x1 * 1.5);
        let y = (y0 / 2.0)..(y1 * 2.0);
        plot_lines(
            &root,
            &title,
            chart,
            &series,
            x.log_scale(),
            y.log_scale(),
        )?;
    } else {
        // One size alone still gets an axis wide enough to read.
        let pad = ((x1 - x0) * 0.05).max(x1 * 0.1).max(1.0);
        plot_lines(
            &root,
            &title,
            chart,
            &series,
            (x0 - pad)..(x1 + pad),
            0.0..(y1 * 1.15),
        )?;
    }
    root.present()?;
    Ok(true)
}

fn plot_lines<X, Y>(
    root: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    chart: &Chart,
    series: &Lines,
    x: X,
    y: Y,
) -> Result<(), Box<dyn Error>>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut plot = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    plot.configure_mesh()
        .max_light_lines(0)
        .x_label_formatter(&|v| short(*v))
        .y_label_formatter(&|v| short(*v))
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        plot.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))?
        .label(name.as_str())
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
        });
        plot.draw_series(
            points.iter().map(|&p| Circle::new(p, 3, color.filled())),
        )?;
    }
    plot.configure_series_labels()
        .position(chart.legend.clone())
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A tick label: no more digits than the eye needs.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// One column per contender, one mark per metric: for a workload with one
/// size.
fn by_contender(
    data: &Data,
    workload: &str,
    title: &str,
    y_label: &str,
    metrics: &[(&str, &str)],
    machine: &str,
    path: &Path,
) -> Result<bool, Box<dyn Error>> {
    let contenders = data.contenders(workload);
    let Some(&size) = data.sizes(workload).first() else {
        return Ok(false);
    };
    let value = |contender: &str, metric: &str| {
        data.series(workload, contender, size)?
            .median
            .get(metric)
            .copied()
    };
    let top = contenders
        .iter()
        .flat_map(|c| metrics.iter().filter_map(|(_, m)| value(c, m)))
        .fold(0.0, f64::max);
    if top <= 0.0 {
        return Ok(false);
    }
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = contenders.len();
    let mut plot = ChartBuilder::on(&root)
        .caption(
            format!("{title}, {size} connections ({machine})"),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..(top * 1.2))?;
    let names = contenders.clone();
    plot.configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .y_label_formatter(&|v| short(*v))
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .draw()?;
    for (k, (label, metric)) in metrics.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let width = 0.8 / metrics.len() as f64;
        let bars: Vec<Rectangle<(f64, f64)>> = contenders
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let v = value(c, metric)?;
                let left = i as f64 - 0.4 + k as f64 * width;
                Some(Rectangle::new(
                    [(left, 0.0), (left + width * 0.9, v)],
                    color.filled(),
                ))
            })
            .collect();
        plot.draw_series(bars)?.label(*label).legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled())
        });
    }
    plot.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(true)
}
