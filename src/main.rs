fn main() {
    match vmcompat::cpuid::local::probe() {
        Ok(d) => {
            let cpu = vmcompat::decode::decode_dump(&d);
            println!("{:#?}", cpu);
        }
        Err(e) => eprintln!("{e}"),
    }
}
